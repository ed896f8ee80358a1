using System.CommandLine;
using ImagePipeline.Cli;

var root = new RootCommand("ImagePipeline: resize, thumbnail and catalog photos, offline or against a deployment.");
root.Subcommands.Add(ProcessCommand.Create());
return await root.Parse(args).InvokeAsync();
