using System.Collections.Concurrent;
using System.IO.Compression;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Loyalty.Tests.Telemetry;

/// <summary>A stand-in for the Application Insights ingestion endpoint: a real HTTP server on loopback that accepts what
/// <c>Azure.Monitor.OpenTelemetry.Exporter</c> posts to <c>{IngestionEndpoint}/v2.1/track</c> (newline-delimited
/// envelopes, gzip or plain) and keeps every envelope, with the exact text it arrived as.</summary>
public sealed class FakeIngestion : IAsyncDisposable
{
    public const string InstrumentationKey = "00000000-0000-0000-0000-0000000000f1";

    private readonly WebApplication app;
    private readonly ConcurrentQueue<Envelope> envelopes = new();

    private FakeIngestion(WebApplication app) => this.app = app;

    /// <summary>A connection string that sends everything here.</summary>
    public string ConnectionString { get; private set; } = "";

    public IReadOnlyList<Envelope> Envelopes => [.. envelopes];

    public static async Task<FakeIngestion> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var fake = new FakeIngestion(app);
        app.MapPost("/v2.1/track", fake.TrackAsync);
        await app.StartAsync();
        var address = new Uri(app.Urls.First());
        fake.ConnectionString = $"InstrumentationKey={InstrumentationKey};IngestionEndpoint=http://127.0.0.1:{address.Port}/";
        return fake;
    }

    /// <summary>Envelopes of one type (<c>Request</c>, <c>RemoteDependency</c>, <c>Message</c>, <c>Metric</c>, <c>Exception</c>).</summary>
    public IReadOnlyList<Envelope> Of(string name) => [.. envelopes.Where(e => e.Name == name)];

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }

    private async Task<IResult> TrackAsync(HttpRequest request)
    {
        Stream body = request.Body;
        if (request.Headers.ContentEncoding.ToString().Contains("gzip", StringComparison.OrdinalIgnoreCase))
        {
            body = new GZipStream(request.Body, CompressionMode.Decompress);
        }

        using var reader = new StreamReader(body, Encoding.UTF8);
        var text = await reader.ReadToEndAsync();
        var items = text.TrimStart().StartsWith('[')
            ? JsonNode.Parse(text)!.AsArray().Select(n => n!.ToJsonString())
            : text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var count = 0;
        foreach (var item in items)
        {
            envelopes.Enqueue(new Envelope(JsonNode.Parse(item)!.AsObject(), item));
            count++;
        }

        return Results.Json(new { itemsReceived = count, itemsAccepted = count, errors = Array.Empty<object>() });
    }
}

/// <summary>One telemetry item as ingestion received it.</summary>
public sealed record Envelope(JsonObject Json, string Text)
{
    public string Name => (string?)Json["name"] ?? "";

    public string? OperationId => (string?)Json["tags"]?["ai.operation.id"];

    public string? ParentId => (string?)Json["tags"]?["ai.operation.parentId"];

    public string? OperationName => (string?)Json["tags"]?["ai.operation.name"];

    public JsonObject BaseData => Json["data"]?["baseData"]?.AsObject() ?? [];

    public string? Property(string key) => BaseData["properties"]?[key]?.ToString();

    /// <summary>A request's or dependency's URL (or, for a dependency, its data), whichever it has.</summary>
    public string Url => (string?)BaseData["url"] ?? (string?)BaseData["data"] ?? "";

    public bool? Success => BaseData["success"]?.GetValue<bool>();

    public string ResponseCode => (string?)BaseData["responseCode"] ?? (string?)BaseData["resultCode"] ?? "";

    /// <summary>The custom metrics of a <c>Metric</c> envelope: name, value (the sum for a counter) and dimensions.</summary>
    public IEnumerable<(string Metric, double Value, JsonObject Dimensions)> Metrics =>
        (BaseData["metrics"]?.AsArray() ?? []).Select(m => ((string)m!["name"]!, m["value"]!.GetValue<double>(), BaseData["properties"]?.AsObject() ?? []));
}
