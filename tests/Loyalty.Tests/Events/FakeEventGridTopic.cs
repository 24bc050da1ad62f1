using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Loyalty.Tests.Events;

/// <summary>An event as the fake topic accepted it.</summary>
public sealed record ReceivedEvent(string Id, string Source, string Type, string Subject, string Sequence, DateTimeOffset Time, JsonElement Data, JsonElement Raw, DateTimeOffset ReceivedAt)
{
    public string Member => Subject["members/".Length..];

    public long Seq => long.Parse(Sequence, CultureInfo.InvariantCulture);
}

/// <summary>A fake Event Grid custom topic with the CloudEvents 1.0 input schema: a real Kestrel server on a free loopback
/// port that takes what <c>EventGridPublisherClient.SendEventsAsync(IEnumerable&lt;CloudEvent&gt;)</c> sends (4.17.0:
/// <c>POST /api/events?api-version=2018-01-01</c>, <c>aeg-sas-key</c>, <c>application/cloudevents-batch+json;
/// charset=utf-8</c>, a JSON array of structured-mode CloudEvents). It refuses what Event Grid refuses (401 for a wrong
/// key, 400 for a batch that is not CloudEvents 1.0, 415 for another content type), and answers 429 or 503 when
/// <see cref="Fault"/> says so, or holds requests while <see cref="Hold"/> is set.</summary>
public sealed partial class FakeEventGridTopic : IAsyncDisposable
{
    public const string ApiVersion = "2018-01-01";
    public const string ContentType = "application/cloudevents-batch+json; charset=utf-8";

    private readonly WebApplication app;
    private readonly ConcurrentQueue<ReceivedEvent> received = new();
    private readonly ConcurrentQueue<string> refused = new();
    private int requests;

    private FakeEventGridTopic(WebApplication app, string key) => (this.app, Key) = (app, key);

    public string Key { get; }

    /// <summary>What <c>Events__TopicEndpoint</c> is set to.</summary>
    public Uri Endpoint { get; private set; } = null!;

    /// <summary>The status to answer the n-th request (1-based) with instead of accepting it (429, 503), or null.</summary>
    public Func<int, int?> Fault { get; set; } = _ => null;

    /// <summary>While set, requests wait for it before they are answered (a publication in flight).</summary>
    public TaskCompletionSource? Hold { get; set; }

    /// <summary>Requests that arrived (and were not refused for their shape) are counted here, accepted or not.</summary>
    public int Requests => requests;

    /// <summary>The clock that stamps <see cref="ReceivedEvent.ReceivedAt"/>.</summary>
    public TimeProvider Clock { get; set; } = TimeProvider.System;

    /// <summary>Every accepted event, in order of arrival (a batch in its own order).</summary>
    public IReadOnlyList<ReceivedEvent> Received => [.. received];

    /// <summary>Why requests were refused (wrong key, not CloudEvents): any entry is a bug in the publisher.</summary>
    public IReadOnlyList<string> Refused => [.. refused];

    public static async Task<FakeEventGridTopic> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var topic = new FakeEventGridTopic(builder.Build(), Convert.ToBase64String(Guid.NewGuid().ToByteArray()));
        topic.app.MapPost("/api/events", (Delegate)topic.HandleAsync);
        await topic.app.StartAsync();
        topic.Endpoint = new Uri(topic.app.Urls.Single() + "/api/events");
        return topic;
    }

    /// <summary>The app settings that point the publisher here.</summary>
    public Dictionary<string, string?> Settings() => new()
    {
        ["Events:TopicEndpoint"] = Endpoint.ToString(),
        ["Events:TopicKey"] = Key,
        ["Events:RetryDelay"] = "00:00:00.050",
        ["Events:MaxRetryDelay"] = "00:00:00.200",
    };

    public async ValueTask DisposeAsync()
    {
        Hold?.TrySetResult();
        await app.StopAsync();
        await app.DisposeAsync();
    }

    private async Task<IResult> HandleAsync(HttpContext context)
    {
        try
        {
            return await AnswerAsync(context);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return Refuse(StatusCodes.Status500InternalServerError, $"the fake failed: {e}");
        }
    }

    private async Task<IResult> AnswerAsync(HttpContext context)
    {
        var request = context.Request;
        if (request.Query["api-version"] != ApiVersion)
        {
            return Refuse(StatusCodes.Status400BadRequest, $"api-version '{request.Query["api-version"]}'");
        }

        if (request.Headers["aeg-sas-key"] != Key)
        {
            return Refuse(StatusCodes.Status401Unauthorized, "missing or wrong aeg-sas-key");
        }

        if (!string.Equals(request.ContentType, ContentType, StringComparison.OrdinalIgnoreCase))
        {
            return Refuse(StatusCodes.Status415UnsupportedMediaType, $"content type '{request.ContentType}'");
        }

        JsonDocument body;
        try
        {
            body = await JsonDocument.ParseAsync(request.Body, cancellationToken: context.RequestAborted);
        }
        catch (JsonException e)
        {
            return Refuse(StatusCodes.Status400BadRequest, $"not JSON: {e.Message}");
        }

        using (body)
        {
            if (BatchProblem(body.RootElement) is { } problem)
            {
                return Refuse(StatusCodes.Status400BadRequest, problem);
            }

            var n = Interlocked.Increment(ref requests);
            if (Hold is { } hold)
            {
                await hold.Task.WaitAsync(context.RequestAborted);
            }

            if (Fault(n) is { } status)
            {
                context.Response.Headers["retry-after-ms"] = "20";
                return Results.Json(new { error = new { code = status == 429 ? "TooManyRequests" : "ServiceUnavailable", message = "fault injected by the test" } }, statusCode: status);
            }

            var now = Clock.GetUtcNow();
            foreach (var e in body.RootElement.EnumerateArray())
            {
                received.Enqueue(new ReceivedEvent(
                    e.GetProperty("id").GetString()!,
                    e.GetProperty("source").GetString()!,
                    e.GetProperty("type").GetString()!,
                    e.GetProperty("subject").GetString()!,
                    e.GetProperty("sequence").GetString()!,
                    DateTimeOffset.Parse(e.GetProperty("time").GetString()!, CultureInfo.InvariantCulture),
                    e.GetProperty("data").Clone(),
                    e.Clone(),
                    now));
            }

            return Results.Ok();
        }
    }

    private IResult Refuse(int status, string why)
    {
        refused.Enqueue(why);
        return Results.Json(new { error = new { code = "BadRequest", message = why } }, statusCode: status);
    }

    // What Event Grid checks of a CloudEvents 1.0 batch in structured mode, and what this project promises on top
    // (subject, time, the sequence extension, JSON data).
    private static string? BatchProblem(JsonElement batch)
    {
        if (batch.ValueKind != JsonValueKind.Array || batch.GetArrayLength() == 0)
        {
            return "the body is not a non-empty JSON array";
        }

        foreach (var e in batch.EnumerateArray())
        {
            if (e.ValueKind != JsonValueKind.Object)
            {
                return "an event is not a JSON object";
            }

            foreach (var required in new[] { "id", "source", "type", "specversion", "subject", "time", "sequence" })
            {
                if (!e.TryGetProperty(required, out var value) || value.ValueKind != JsonValueKind.String || value.GetString() is not { Length: > 0 })
                {
                    return $"an event has no string '{required}'";
                }
            }

            if (e.GetProperty("specversion").GetString() != "1.0")
            {
                return "specversion is not 1.0";
            }

            if (!DateTimeOffset.TryParseExact(e.GetProperty("time").GetString(), "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFzzz", CultureInfo.InvariantCulture, DateTimeStyles.None, out _)
                && !DateTimeOffset.TryParseExact(e.GetProperty("time").GetString(), "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out _))
            {
                return $"time '{e.GetProperty("time").GetString()}' is not RFC 3339";
            }

            if (e.EnumerateObject().Select(p => p.Name).FirstOrDefault(n => !AttributeName().IsMatch(n)) is { } bad)
            {
                return $"attribute name '{bad}' is not lower-case alphanumeric";
            }

            if (!e.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Object || e.TryGetProperty("data_base64", out _))
            {
                return "data is not a JSON object";
            }
        }

        return null;
    }

    [GeneratedRegex("^(?:[a-z0-9]{1,20}|data_base64)$")]
    private static partial Regex AttributeName();
}
