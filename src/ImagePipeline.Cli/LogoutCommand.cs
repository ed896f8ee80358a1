using System.CommandLine;
using ImagePipeline.Cli.SignIn;

namespace ImagePipeline.Cli;

/// <summary><c>imagepipeline logout</c>: removes the tokens <c>login</c> saved for one API (the others stay).</summary>
internal static class LogoutCommand
{
    public static Command Create()
    {
        var api = ClientOptions.Api();
        var command = new Command(
            "logout",
            "Remove the saved sign-in (access and refresh tokens) of --api from the token file; other deployments' stay. " +
            "Exit codes: 0 removed or there was none (it says which), 1 usage errors or the token file cannot be changed.")
        {
            api,
        };
        command.SetAction((parse, cancellationToken) => RunAsync(parse.GetValue(api)!, cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(Uri apiUrl, CancellationToken cancellationToken)
    {
        using var client = new ApiClient(apiUrl, signIn: false);
        var api = client.Display;
        try
        {
            var store = TokenStore.ForUser();
            var removed = await store.RemoveAsync(api, cancellationToken);
            await Console.Out.WriteLineAsync(removed is null
                ? $"Not signed in to {api}: no saved tokens for it in {store.FilePath}."
                : $"Signed out of {api}: removed the saved tokens{(removed.User is { Length: > 0 } user ? " of " + ClientOptions.Clean(user) : "")} from {store.FilePath}.");
            if (Environment.GetEnvironmentVariable(BearerTokens.TokenVariable) is { Length: > 0 })
            {
                await Console.Error.WriteLineAsync($"Note: {BearerTokens.TokenVariable} is still set, and the client commands send it while it is.");
            }

            return ExitCodes.Success;
        }
        catch (TokenStoreException e)
        {
            await Console.Error.WriteLineAsync("imagepipeline logout: " + ClientOptions.Clean(e.Message));
            return ExitCodes.UsageOrConnection;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync("imagepipeline logout: interrupted.");
            return ExitCodes.Interrupted;
        }
    }
}
