using System.Net;
using System.Text.RegularExpressions;

namespace ImagePipeline.Testing.Oidc;

/// <summary>
/// Plays a user's browser on <see cref="OidcProvider"/>'s pages for a sign-in some other program started (the CLI's
/// <c>login</c> prints its authorization address): follows the redirects, fills in the login form as
/// <c>user</c> (any password), and stops at the redirect to the app's redirect URI, which it returns without
/// following, so the test can deliver it to the app's listener as the browser would.
/// </summary>
public static partial class LoginFormDriver
{
    /// <summary>
    /// Signs in as <paramref name="user"/> from <paramref name="startUrl"/> and returns the URL the provider redirects
    /// to (it starts with <paramref name="redirectUri"/> and carries <c>code</c> and <c>state</c>, or <c>error</c>).
    /// </summary>
    public static async Task<Uri> SignInAsync(Uri startUrl, string user, string redirectUri, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(startUrl);
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer() })
        {
            Timeout = TimeSpan.FromSeconds(30),
        };
        var url = startUrl;
        HttpContent? form = null;
        var trail = new List<string>();
        for (var step = 0; step < 20; step++)
        {
            trail.Add($"{(form is null ? "GET" : "POST")} {url}");
            using var response = form is null ? await http.GetAsync(url, cancellationToken) : await http.PostAsync(url, form, cancellationToken);
            form = null;
            if (response.Headers.Location is { } location)
            {
                var next = location.IsAbsoluteUri ? location : new Uri(url, location);
                if (next.ToString().StartsWith(redirectUri, StringComparison.Ordinal))
                {
                    return next;
                }

                url = next;
                continue;
            }

            var html = await response.Content.ReadAsStringAsync(cancellationToken);
            if (FormAction().Match(html) is not { Success: true } action)
            {
                throw new InvalidOperationException(
                    $"The provider answered {(int)response.StatusCode} without a form or a redirect to {redirectUri}:{Environment.NewLine}" +
                    $"{string.Join(Environment.NewLine, trail)}{Environment.NewLine}{html}");
            }

            var fields = HiddenInput().Matches(html).ToDictionary(m => m.Groups[1].Value, m => WebUtility.HtmlDecode(m.Groups[2].Value));
            if (html.Contains("name=\"login\"", StringComparison.Ordinal))
            {
                fields["login"] = user;
                fields["password"] = "any";
            }

            url = new Uri(url, WebUtility.HtmlDecode(action.Groups[1].Value));
            form = new FormUrlEncodedContent(fields);
        }

        throw new InvalidOperationException("The sign-in took more than 20 steps:" + Environment.NewLine + string.Join(Environment.NewLine, trail));
    }

    [GeneratedRegex("<form[^>]*action=\"([^\"]+)\"", RegexOptions.IgnoreCase)]
    private static partial Regex FormAction();

    [GeneratedRegex("<input[^>]*type=\"hidden\"[^>]*name=\"([^\"]+)\"[^>]*value=\"([^\"]*)\"", RegexOptions.IgnoreCase)]
    private static partial Regex HiddenInput();
}
