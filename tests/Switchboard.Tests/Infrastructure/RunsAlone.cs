using Xunit;

namespace Switchboard.Tests.Infrastructure;

/// <summary>
/// Tests that measure time against a bound the plan sets (a killed server ready again within 5 s, a kill that must
/// land mid-way through a run, a timer fired within a second of its deadline) and that start server processes. xunit runs test classes two at a time on
/// this 2-core machine; these run after the others, on their own, so a neighbour's browser or build cannot push
/// them past their bound. Their bounds stay as they are.
/// </summary>
[CollectionDefinition(nameof(RunsAlone), DisableParallelization = true)]
public sealed class RunsAlone;
