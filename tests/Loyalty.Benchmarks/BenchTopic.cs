using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Loyalty.Benchmarks;

/// <summary>An Event Grid topic on loopback for the benchmark: it takes CloudEvents batches as the SDK posts them
/// (key in <c>aeg-sas-key</c>) and records, per event, the time from its <c>time</c> (when the change committed) to its
/// arrival.</summary>
internal sealed class BenchTopic : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly string key = Guid.NewGuid().ToString("N");
    private readonly ConcurrentQueue<double> delays = new();
    private readonly ConcurrentDictionary<string, byte> ids = new(StringComparer.Ordinal);
    private int requests;
    private long lastArrival = Stopwatch.GetTimestamp();

    private BenchTopic(WebApplication app) => this.app = app;

    public IReadOnlyDictionary<string, string> Settings { get; private set; } = new Dictionary<string, string>();

    public int Requests => requests;

    /// <summary>Events whose change committed before this time (the outbox the earlier phases left) are published but not
    /// timed: their delay is the backlog's age, not the publication's.</summary>
    public DateTimeOffset Since { get; set; } = DateTimeOffset.MinValue;

    /// <summary>Events published that committed before <see cref="Since"/>.</summary>
    public int Earlier => earlier;

    private int earlier;

    public static async Task<BenchTopic> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var topic = new BenchTopic(builder.Build());
        topic.app.MapPost("/api/events", (Delegate)topic.ReceiveAsync);
        await topic.app.StartAsync();
        topic.Settings = new Dictionary<string, string>
        {
            ["Events__TopicEndpoint"] = topic.app.Urls.Single() + "/api/events",
            ["Events__TopicKey"] = topic.key,
        };
        return topic;
    }

    /// <summary>Sorted delays from commit to arrival, in milliseconds, one per distinct event.</summary>
    public double[] Delays() => [.. delays.Order()];

    /// <summary>Waits until nothing has arrived for a second (the outbox is drained); false when that took too long.</summary>
    public async Task<bool> DrainAsync(TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (Stopwatch.GetElapsedTime(Interlocked.Read(ref lastArrival)) < TimeSpan.FromSeconds(1))
        {
            if (clock.Elapsed > timeout)
            {
                return false;
            }

            await Task.Delay(100);
        }

        return true;
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }

    private async Task<IResult> ReceiveAsync(HttpContext context)
    {
        if (context.Request.Headers["aeg-sas-key"] != key)
        {
            return Results.StatusCode(StatusCodes.Status401Unauthorized);
        }

        using var batch = await JsonDocument.ParseAsync(context.Request.Body);
        var now = TimeProvider.System.GetUtcNow();
        foreach (var e in batch.RootElement.EnumerateArray())
        {
            if (ids.TryAdd(e.GetProperty("id").GetString()!, 0))
            {
                var time = DateTimeOffset.Parse(e.GetProperty("time").GetString()!, CultureInfo.InvariantCulture);
                if (time < Since)
                {
                    Interlocked.Increment(ref earlier);
                    continue;
                }

                delays.Enqueue((now - time).TotalMilliseconds);
            }
        }

        Interlocked.Increment(ref requests);
        Interlocked.Exchange(ref lastArrival, Stopwatch.GetTimestamp());
        return Results.Ok();
    }
}
