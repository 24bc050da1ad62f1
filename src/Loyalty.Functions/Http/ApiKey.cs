using System.Security.Cryptography;
using System.Text;

namespace Loyalty.Functions.Http;

/// <summary>When <c>LOYALTY_API_KEY</c> is set, every request except the host's start-up probe (<c>GET /</c>), the
/// health check and the API's description (the OpenAPI document and the reference page, which tools fetch) must carry it in <c>x-functions-key</c>, as Azure function keys are carried: the API, the admin
/// endpoint and the function-invocation routes the standalone runner calls (which would otherwise be open if the
/// app listened beyond loopback). The comparison takes the same time whatever the key sent. Under the Functions host
/// the host checks function keys and calls invocation routes without one, so the setting is ignored there.</summary>
public static class ApiKey
{
    public const string SettingName = "LOYALTY_API_KEY";
    public const string HeaderName = "x-functions-key";

    public static IApplicationBuilder UseApiKey(this IApplicationBuilder app, string? key)
    {
        if (string.IsNullOrEmpty(key))
        {
            return app;
        }

        var expected = SHA256.HashData(Encoding.UTF8.GetBytes(key));
        return app.Use(async (context, next) =>
        {
            if (IsProtected(context.Request) && !Matches(context.Request.Headers[HeaderName].ToString(), expected))
            {
                await TypedResults.Problem(
                    $"Send the API key in the {HeaderName} header.", statusCode: 401, title: "Unauthorized", type: Problems.Unauthorized)
                    .ExecuteAsync(context);
                return;
            }

            await next(context);
        });
    }

    /// <summary>The paths that need no key; the OpenAPI document declares the key on every other operation.</summary>
    public static readonly string[] OpenPaths = ["/api/health", "/api/openapi.json", "/api/docs"];

    private static bool IsProtected(HttpRequest request) =>
        !(request.Path.Equals("/", StringComparison.Ordinal)
          || OpenPaths.Any(open => request.Path.StartsWithSegments(open, StringComparison.OrdinalIgnoreCase)));

    // Hashing first makes both sides the same length, so FixedTimeEquals does not leak the key's length either.
    private static bool Matches(string sent, byte[] expected) =>
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(sent)), expected);
}
