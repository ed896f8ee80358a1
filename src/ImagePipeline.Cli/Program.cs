using System.CommandLine;
using System.CommandLine.Invocation;
using ImagePipeline.Cli;
using ImagePipeline.Hosting;

// First, before threads allocate: one malloc arena per core instead of eight (see ProcessMemory).
ProcessMemory.CapMallocArenas();

var root = new RootCommand("ImagePipeline: resize, thumbnail and catalog photos, offline or against a deployment.");
root.Subcommands.Add(ProcessCommand.Create());
root.Subcommands.Add(UploadCommand.Create());
root.Subcommands.Add(ListCommand.Create());
root.Subcommands.Add(ShowCommand.Create());
root.Subcommands.Add(DownloadCommand.Create());
root.Subcommands.Add(DeleteCommand.Create());
root.Subcommands.Add(WatchCommand.Create());
root.Subcommands.Add(ReprocessCommand.Create());
root.Subcommands.Add(LoginCommand.Create());
root.Subcommands.Add(LogoutCommand.Create());

// With an action of its own the root no longer reports "Required command was not provided." next to every other error.
root.SetAction(_ => UsageErrors.NoCommand(root));
var parse = root.Parse(args);
return parse.Action is ParseErrorAction ? UsageErrors.Report(parse, Console.Error) : await parse.InvokeAsync();
