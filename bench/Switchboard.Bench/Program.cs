using System.Reflection;
using BenchmarkDotNet.Running;

// Two kinds of benchmark live here:
//  - throughput harnesses (static classes named <Name>Harness with `public static int Run(string[] args)`),
//    run as `dotnet run -c Release --project bench/Switchboard.Bench -- <name> [args]`;
//  - BenchmarkDotNet classes, run as `... -- bdn [BenchmarkDotNet args]`.
// Harnesses measure a system against its baseline in one run and print ratios, because these machines are
// shared and noisy: absolute numbers vary, ratios measured side by side do not.
var harnesses = typeof(BenchEntry).Assembly.GetTypes()
    .Where(t => t.IsClass && t.IsAbstract && t.IsSealed && t.Name.EndsWith("Harness", StringComparison.Ordinal))
    .ToDictionary(t => t.Name[..^"Harness".Length].ToLowerInvariant(), t => t);

if (args.Length == 0 || args[0] is "-h" or "--help")
{
    Console.WriteLine("usage: switchboard-bench <harness> [args] | bdn [BenchmarkDotNet args]");
    Console.WriteLine("harnesses: " + string.Join(", ", harnesses.Keys.Order()));
    return 0;
}

if (args[0] == "bdn")
{
    BenchmarkSwitcher.FromAssembly(typeof(BenchEntry).Assembly).Run(args[1..]);
    return 0;
}

if (!harnesses.TryGetValue(args[0].ToLowerInvariant(), out var harness))
{
    Console.Error.WriteLine($"unknown harness '{args[0]}'; known: {string.Join(", ", harnesses.Keys.Order())}");
    return 2;
}

var run = harness.GetMethod("Run", BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)
    ?? throw new InvalidOperationException($"{harness.Name} has no static Run(string[])");
return (int)run.Invoke(null, [args[1..]])!;

internal static class BenchEntry { }
