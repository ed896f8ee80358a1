using System.CommandLine;
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
return await root.Parse(args).InvokeAsync();
