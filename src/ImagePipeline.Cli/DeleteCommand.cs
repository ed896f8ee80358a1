using System.CommandLine;

namespace ImagePipeline.Cli;

/// <summary><c>imagepipeline delete ID</c>: <c>DELETE /v1/images/{id}</c>.</summary>
internal static class DeleteCommand
{
    public static Command Create()
    {
        var id = ClientOptions.ImageId();
        var api = ClientOptions.Api();
        var command = new Command(
            "delete",
            "Delete an image: its record, original, renditions and thumbnail. Exit codes: 0 deleted, 2 no such image (404), 1 usage or connection errors.")
        {
            id, api,
        };
        command.SetAction((parse, cancellationToken) => ClientOptions.RunAsync("delete", parse.GetValue(api)!, async client =>
        {
            var image = parse.GetValue(id)!;
            await client.DeleteImageAsync(image, cancellationToken);
            await Console.Out.WriteLineAsync($"deleted {image}");
            return ExitCodes.Success;
        }, cancellationToken));
        return command;
    }
}
