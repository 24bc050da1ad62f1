using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Loyalty.Functions.Hosting;
using Loyalty.Functions.Invocations;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Loyalty.Functions.Standalone;

/// <summary>How an invocation ended, seen from the caller's side.</summary>
public enum InvocationOutcome
{
    /// <summary>The function answered 2xx.</summary>
    Succeeded,

    /// <summary>The function answered non-2xx: the trigger retries, then gives up (poison).</summary>
    Failed,

    /// <summary>The function could not be reached or did not answer in time (shutdown, timeout): nothing is known
    /// about the outcome, so the message is offered again without counting against it.</summary>
    Unreachable,
}

/// <summary>Makes the protocol call the Functions host would make, <c>POST /{FunctionName}</c>, to this app's own
/// HTTP address, so that function code cannot tell the runner from the host.</summary>
public sealed partial class FunctionInvoker(IHttpClientFactory clients, IServer server, ILogger<FunctionInvoker> logger)
{
    public const string HttpClientName = "FunctionInvoker";

    private Uri? self;

    public async Task<InvocationOutcome> InvokeAsync(string function, JsonObject body, CancellationToken ct)
    {
        var invocationId = Guid.NewGuid().ToString();
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(Self(), Uri.EscapeDataString(function)))
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, new MediaTypeHeaderValue("application/json")),
        };
        request.Headers.Add(FunctionInvocation.InvocationIdHeader, invocationId);
        try
        {
            using var response = await clients.CreateClient(HttpClientName).SendAsync(request, ct);
            if (response.IsSuccessStatusCode)
            {
                LogSucceeded(logger, function, invocationId);
                return InvocationOutcome.Succeeded;
            }

            LogFailed(logger, function, invocationId, (int)response.StatusCode);
            return InvocationOutcome.Failed;
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
        {
            LogUnreachable(logger, function, invocationId, e.GetType().Name);
            return InvocationOutcome.Unreachable;
        }
    }

    // The first HTTP address Kestrel listens on; a wildcard host is reached through loopback.
    private Uri Self()
    {
        if (self is not null)
        {
            return self;
        }

        var addresses = server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        var chosen = addresses.FirstOrDefault(a => a.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
            ?? addresses.FirstOrDefault()
            ?? HandlerUrls.StandaloneDefault;
        var builder = new UriBuilder(chosen.Replace("://+", "://127.0.0.1", StringComparison.Ordinal).Replace("://*", "://127.0.0.1", StringComparison.Ordinal));
        if (builder.Host is "0.0.0.0" or "[::]" or "::")
        {
            builder.Host = "127.0.0.1";
        }

        builder.Path = "/";
        return self = builder.Uri;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Function} invocation {InvocationId} succeeded")]
    private static partial void LogSucceeded(ILogger logger, string function, string invocationId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Function} invocation {InvocationId} failed with status {Status}")]
    private static partial void LogFailed(ILogger logger, string function, string invocationId, int status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Function} invocation {InvocationId} got no answer ({Error})")]
    private static partial void LogUnreachable(ILogger logger, string function, string invocationId, string error);
}
