using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using Loyalty.Adapters.Events;
using Loyalty.Domain;
using Loyalty.Tests.Infrastructure;

namespace Loyalty.Tests.Events;

/// <summary>Publication survives a flaky topic and a stopped instance: 2,000 operations over two app instances on one
/// Azurite while the fake topic fails one request in five (429 and 503) and one instance is stopped with a publication
/// in flight. Afterwards the set of event ids at the topic is the set of committed changes, each member's events first
/// arrived in sequence order, and no refused or conflicting request published anything. Loopback only.</summary>
public sealed class PublicationFaultTests(PrivateAzurite azurite, ITestOutputHelper output) : IClassFixture<PrivateAzurite>
{
    private const int Members = 40;
    private const int Operations = 2000;

    [Fact]
    public async Task TwoInstances_FlakyTopic_StoppedMidPublish_PublishEveryCommittedChangeOnce_InOrder()
    {
        var clock = Stopwatch.StartNew();
        await using var topic = await FakeEventGridTopic.StartAsync();
        var faults = 0;
        topic.Fault = n => n % 5 == 0 ? Fault(ref faults, n % 10 == 0 ? 503 : 429) : null;
        var settings = topic.Settings();
        settings["LOYALTY_PROGRAM_FILE"] = Path.Combine(AppContext.BaseDirectory, "Fixtures", "program.integrity.json");
        var a = new LoyaltyApp(azurite, settings: settings);
        await using var b = new LoyaltyApp(azurite, settings: settings);
        var clients = new[] { await a.StartAsync(), await b.StartAsync() };

        var members = Enumerable.Range(0, Members).Select(_ => A.Id("m")).ToArray();
        foreach (var (member, i) in members.Select((m, i) => (m, i)))
        {
            using var enrolled = await clients[i % 2].PutJsonAsync($"/api/members/{member}", "{}");
            Assert.Equal(HttpStatusCode.Created, enrolled.StatusCode);
        }

        var outcomes = new ConcurrentBag<(string Kind, string Id, HttpStatusCode Status)>();
        var purchases = new ConcurrentDictionary<string, (string Member, string Body)>();

        // The first half on both instances; then, with a publication held at the topic, instance A is stopped.
        await RunAsync(clients, members, 0, Operations / 2, outcomes, purchases);
        topic.Hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var held = topic.Requests;
        await RunAsync([clients[0]], members, Operations / 2, (Operations / 2) + 20, outcomes, purchases);
        await Eventually.TrueAsync(() => topic.Requests > held, "instance A has a publication in flight", TimeSpan.FromSeconds(10));
        await a.DisposeAsync();
        topic.Hold.TrySetResult();
        topic.Hold = null;
        await RunAsync([clients[1]], members, (Operations / 2) + 20, Operations, outcomes, purchases);
        output.WriteLine($"{Operations} operations done after {clock.Elapsed}");

        // What was left pending (A's publication, failed requests) goes out with B's sweep.
        var dispatcher = b.Service<EventDispatcher>();
        await Eventually.TrueAsync(async () => (await dispatcher.SweepAsync(default)) is { Published: 0, Failed.Count: 0 }, "a sweep finds nothing left", TimeSpan.FromSeconds(30));

        output.WriteLine($"swept after {clock.Elapsed}");
        var outbox = b.Service<EventOutbox>();
        var stored = (await Task.WhenAll(members.Select(m => outbox.ReadAllAsync(MemberId.Parse(m), default)))).SelectMany(e => e).ToList();
        var received = topic.Received;

        Assert.Empty(topic.Refused);
        Assert.True(faults >= received.Count / 100 / 5, $"the topic failed {faults} requests");
        Assert.Equal(stored.Select(e => e.Id).Order(), received.Select(e => e.Id).Distinct().Order());
        foreach (var member in stored.GroupBy(e => e.Member))
        {
            Assert.Equal(Enumerable.Range(1, member.Count()).Select(i => (long)i), member.Select(e => e.Seq));
            var firstArrivals = received.Where(e => e.Member == member.Key.Value).DistinctBy(e => e.Id).Select(e => e.Seq);
            Assert.Equal(member.Select(e => e.Seq), firstArrivals);
        }

        // Each request that committed (201) has its one event; a refused, conflicting or replayed one has none of its own.
        var primary = received.DistinctBy(e => e.Id).Where(e => PrimaryId(e) is not null).ToLookup(e => (e.Type, PrimaryId(e)!));
        foreach (var (kind, id, status) in outcomes)
        {
            var published = primary[(kind, id)].Count();
            Assert.True(status == HttpStatusCode.Created ? published == 1 : published == 0, $"{kind} {id} answered {(int)status} and published {published} events");
        }

        Assert.Equal(outcomes.Count(o => o.Status == HttpStatusCode.Created), primary.Sum(g => g.Count()));
        Assert.Contains(outcomes, o => o.Status != HttpStatusCode.Created);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(90), $"took {clock.Elapsed}");
    }

    private static int? Fault(ref int faults, int status)
    {
        Interlocked.Increment(ref faults);
        return status;
    }

    // The event an operation names for itself, keyed by its type and the operation's id.
    private static string? PrimaryId(ReceivedEvent e) => e.Type switch
    {
        "loyalty.points.earned" => e.Data.GetProperty("purchaseId").GetString(),
        "loyalty.reward.redeemed" => e.Data.GetProperty("redemptionId").GetString(),
        "loyalty.points.adjusted" => e.Data.GetProperty("adjustmentId").GetString(),
        "loyalty.points.returned" => e.Data.GetProperty("returnId").GetString(),
        _ => null,
    };

    private static Task RunAsync(
        HttpClient[] clients,
        string[] members,
        int from,
        int to,
        ConcurrentBag<(string Kind, string Id, HttpStatusCode Status)> outcomes,
        ConcurrentDictionary<string, (string Member, string Body)> purchases) =>
        Parallel.ForEachAsync(Enumerable.Range(from, to - from), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
        {
            var client = clients[i % clients.Length];
            var member = members[(i * 7) % members.Length];
            var random = new Random(i);
            var roll = random.Next(100);
            var earlier = purchases.Values.Where(p => p.Member == member).Select(p => p.Body).FirstOrDefault();
            var (kind, id, url, body) = roll switch
            {
                < 55 => Purchase(member, A.Id("p"), random.Next(5, 80)),
                < 62 when earlier is not null => ("loyalty.points.earned", "replay", "/api/purchases", earlier),
                < 67 when purchases.Keys.FirstOrDefault() is { } taken => ("reused purchase id", taken, "/api/purchases", Purchase(member, taken, 1).Body),
                < 80 => ("loyalty.reward.redeemed", A.Id("c"), $"/api/members/{member}/redemptions", $$"""{"redemptionId":"ID","rewardId":"coffee"}"""),
                < 92 => ("loyalty.points.adjusted", A.Id("a"), $"/api/members/{member}/adjustments", $$"""{"adjustmentId":"ID","points":{{(random.Next(2) == 0 ? 25 : -40)}},"reason":"fault test"}"""),
                _ => Return(member, purchases.FirstOrDefault(p => p.Value.Member == member).Key),
            };
            body = body.Replace("\"ID\"", $"\"{id}\"", StringComparison.Ordinal);
            using var response = await client.PostJsonAsync(url, body);
            if (id == "replay")
            {
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                return;
            }

            Assert.True(response.StatusCode is HttpStatusCode.Created or HttpStatusCode.Conflict or HttpStatusCode.UnprocessableEntity or HttpStatusCode.NotFound, $"{url} {body}: {response.StatusCode}");
            outcomes.Add((kind, id, response.StatusCode));
            if (kind == "loyalty.points.earned" && response.StatusCode == HttpStatusCode.Created)
            {
                purchases[id] = (member, body);
            }
        });

    private static (string Kind, string Id, string Url, string Body) Purchase(string member, string id, int amount) =>
        ("loyalty.points.earned", id, "/api/purchases",
         $$"""{"purchaseId":"{{id}}","memberId":"{{member}}","amount":{{amount.ToString(CultureInfo.InvariantCulture)}},"currency":"USD","occurredAt":"2026-11-20T10:00:00Z"}""");

    private static (string Kind, string Id, string Url, string Body) Return(string member, string? purchase)
    {
        var id = A.Id("r");
        return ("loyalty.points.returned", id, "/api/returns",
            $$"""{"returnId":"{{id}}","purchaseId":"{{purchase ?? "none"}}","memberId":"{{member}}","amount":1,"occurredAt":"2026-11-21T10:00:00Z"}""");
    }
}
