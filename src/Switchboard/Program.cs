using System.CommandLine;
using Switchboard.Auth;
using Switchboard.Hosting;
using Switchboard.Ingest;
using Switchboard.Storage;

var root = new RootCommand("Switchboard: listen, classify, route, escalate and engage — the social media team's system");
root.Subcommands.Add(ServeCommand.Create());
root.Subcommands.Add(ImportCommand.Create());
root.Subcommands.Add(UserCommand.Create());
root.Subcommands.Add(TokenCommand.Create());
root.Subcommands.Add(MigrateCommand.Create());
return await root.Parse(args).InvokeAsync();

/// <summary>The entry point's type, named so the UI router and tests can find this assembly.</summary>
internal sealed partial class Program;
