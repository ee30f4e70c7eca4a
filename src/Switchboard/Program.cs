using System.CommandLine;
using Switchboard.Auth;
using Switchboard.Channels;
using Switchboard.Classification;
using Switchboard.Hosting;
using Switchboard.Ingest;
using Switchboard.Listening;
using Switchboard.Routing;
using Switchboard.Storage;

var root = new RootCommand("Switchboard: listen, classify, route, escalate and engage — the social media team's system");
root.Subcommands.Add(ServeCommand.Create());
root.Subcommands.Add(ImportCommand.Create());
root.Subcommands.Add(UserCommand.Create());
root.Subcommands.Add(TokenCommand.Create());
root.Subcommands.Add(MigrateCommand.Create());
root.Subcommands.Add(MatchCommand.Create());
root.Subcommands.Add(TrainCommand.Create());
root.Subcommands.Add(EvalCommand.Create());
root.Subcommands.Add(ClassifyCommand.Create());
root.Subcommands.Add(SimulateCommand.Create());
root.Subcommands.Add(FeedCommand.Create());
root.Subcommands.Add(Switchboard.Channels.Admin.ChannelsCommand.Create());
root.Subcommands.Add(Switchboard.Classification.Models.ModelCommand.Create());
return await CliRunner.InvokeAsync(root, args, Console.Error);

/// <summary>The entry point's type, named so the UI router and tests can find this assembly.</summary>
internal sealed partial class Program;
