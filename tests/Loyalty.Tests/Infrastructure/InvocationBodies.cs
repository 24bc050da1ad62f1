using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;

namespace Loyalty.Tests.Infrastructure;

/// <summary>Helpers for the custom-handler protocol in tests.</summary>
public static class InvocationBodies
{
    /// <summary>Values for a fixture's placeholders: a fresh purchase for <paramref name="memberId"/>.</summary>
    public static Dictionary<string, string> Values(string memberId, string? purchaseId = null) => new()
    {
        ["memberId"] = memberId,
        ["purchaseId"] = purchaseId ?? A.Id("p"),
        ["occurredAt"] = TimeProvider.System.GetUtcNow().AddHours(-1).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
    };

    public static Task<HttpResponseMessage> InvokeAsync(this HttpClient client, string function, JsonNode body) =>
        client.PostJsonAsync("/" + function, body.ToJsonString());

    /// <summary>Checks the documented response shape, exactly <c>{ "Outputs": {}, "Logs": [ … ], "ReturnValue": null }</c>,
    /// and returns the log lines.</summary>
    public static async Task<IReadOnlyList<string>> ReadInvocationResultAsync(this HttpResponseMessage response, HttpStatusCode expected)
    {
        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var result = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
        Assert.Equal(["Logs", "Outputs", "ReturnValue"], result.Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Empty(result["Outputs"]!.AsObject());
        Assert.Null(result["ReturnValue"]);
        var logs = result["Logs"]!.AsArray().Select(l => l!.GetValue<string>()).ToList();
        Assert.NotEmpty(logs);
        return logs;
    }

    /// <summary>The member's balance through the API.</summary>
    public static async Task<long> BalanceAsync(this HttpClient client, string memberId)
    {
        using var response = await client.GetAsync($"/api/members/{memberId}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!["points"]!["balance"]!.GetValue<long>();
    }

    /// <summary>The member's ledger entries (first page of 200) through the API.</summary>
    public static async Task<IReadOnlyList<JsonNode>> LedgerAsync(this HttpClient client, string memberId)
    {
        using var response = await client.GetAsync($"/api/members/{memberId}/ledger?limit=200");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return [.. JsonNode.Parse(await response.Content.ReadAsStringAsync())!["entries"]!.AsArray().Select(e => e!)];
    }

    public static async Task EnrollAsync(this HttpClient client, string memberId)
    {
        using var response = await client.PutJsonAsync($"/api/members/{memberId}", A.Member().ToJson());
        Assert.True(response.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK, $"enrolling {memberId}: {response.StatusCode}");
    }
}

/// <summary>Collects what the app logs, formatted, to check what reaches the logs (and what must not).</summary>
public sealed class LogCapture : ILoggerProvider
{
    private readonly ConcurrentQueue<string> lines = new();

    public IReadOnlyList<string> Lines => [.. lines];

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, lines);

    public void Dispose()
    {
    }

    private sealed class Logger(string category, ConcurrentQueue<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)}");
    }
}
