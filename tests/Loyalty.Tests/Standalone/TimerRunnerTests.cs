using System.Net;
using System.Text.Json.Nodes;
using Loyalty.Functions.Invocations;
using Loyalty.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Loyalty.Tests.Standalone;

/// <summary>The standalone runner's timers, on a fake clock: each test has a test-only timer function (a
/// <see cref="ProbeFunction"/>) whose schedule it chooses, and moves the clock itself.</summary>
public sealed class TimerRunnerTests(Azurite azurite)
{
    private const string Daily = "0 0 3 * * *";

    [Fact]
    public async Task TimerRunner_RunOnStartup_RunsOnceAtStartAndNotAgainBeforeTheSchedule()
    {
        await using var harness = Start(Daily, runOnStartup: true);
        var probe = harness.Probe;
        await harness.StartAsync();

        await Eventually.TrueAsync(() => probe.Count == 1, "the startup run");
        await Task.Delay(300);

        Assert.Equal(1, probe.Count);
        Assert.False(Assert.Single(probe.Timers)!.IsPastDue);
    }

    [Fact]
    public async Task TimerRunner_ScheduleFromAppSetting_RunsAtEachOccurrence()
    {
        await using var harness = Start("%TICK_SCHEDULE%", settings: new() { ["TICK_SCHEDULE"] = "*/10 * * * * *" });
        var probe = harness.Probe;
        var time = harness.Time;
        await harness.StartAsync();

        await Eventually.TrueAsync(() => probe.Count >= 3, "three occurrences", between: () => Advance(time, TimeSpan.FromSeconds(10)));

        Assert.All(probe.Timers, Assert.NotNull);
        Assert.All(probe.Bodies, b => Assert.Equal(0, DateTimeOffset.Parse(b["Metadata"]!["sys"]!["UtcNow"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture).Second % 10));
    }

    [Fact]
    public async Task TimerRunner_RunStillGoingAtLaterOccurrencesAndAdminRuns_NeverRunsTwiceAtOnce()
    {
        await using var harness = Start("* * * * * *", runOnStartup: true);
        var probe = harness.Probe;
        var time = harness.Time;
        probe.Hold();
        var client = await harness.StartAsync();
        await Eventually.TrueAsync(() => probe.Count == 1, "the first run starts");

        for (var i = 0; i < 5; i++)
        {
            await Advance(time, TimeSpan.FromSeconds(1));
        }

        using var admin = await client.PostJsonAsync($"/admin/functions/{probe.Name}", "{}");
        await Task.Delay(300);
        var whileHeld = probe.Count;
        probe.Release();
        await Eventually.TrueAsync(() => probe.Count >= 2, "the admin run, after the first", between: () => Advance(time, TimeSpan.FromSeconds(1)));

        Assert.Equal(HttpStatusCode.Accepted, admin.StatusCode);
        Assert.Equal(1, whileHeld);
        Assert.Equal(1, probe.MaxConcurrent);
    }

    [Fact]
    public async Task TimerRunner_TickLaterThanTheNextOccurrence_IsMarkedPastDue()
    {
        await using var harness = Start("*/10 * * * * *");
        var probe = harness.Probe;
        var time = harness.Time;
        await harness.StartAsync();

        await Eventually.TrueAsync(() => probe.Count >= 1, "a late tick", between: () => Advance(time, TimeSpan.FromSeconds(35)));

        Assert.True(probe.Timers[0]!.IsPastDue);
    }

    [Fact]
    public async Task TimerTick_SendsTheDocumentedTimerPayload()
    {
        var documented = Fixtures.Load("Functions/timer.json").AsObject();
        await using var harness = Start(Daily, runOnStartup: true);
        var probe = harness.Probe;
        await harness.StartAsync();

        await Eventually.TrueAsync(() => probe.Count == 1, "the startup run");

        var sent = Assert.Single(probe.Bodies);
        Assert.Equal(Keys(documented), Keys(sent));
        Assert.Equal(Keys(documented["Data"]!), Keys(sent["Data"]!));
        Assert.Equal(Keys(documented["Data"]!["myTimer"]!), Keys(sent["Data"]!["myTimer"]!));
        Assert.True(sent["Data"]!["myTimer"]!["Schedule"]!["AdjustForDST"]!.GetValue<bool>());
        Assert.Null(sent["Data"]!["myTimer"]!["ScheduleStatus"]);
        Assert.Equal(Keys(documented["Metadata"]!["sys"]!), Keys(sent["Metadata"]!["sys"]!));
        Assert.Equal(probe.Name, sent["Metadata"]!["sys"]!["MethodName"]!.GetValue<string>());
    }

    [Fact]
    public void TimerPayload_DocumentedShape_IsReadByTimerFunctions()
    {
        var documented = Fixtures.Load("Functions/timer.json");

        var (invocation, error) = FunctionInvocation.Parse(System.Text.Encoding.UTF8.GetBytes(documented.ToJsonString()));

        Assert.Null(error);
        var timer = invocation!.Timer("myTimer");
        Assert.NotNull(timer);
        Assert.False(timer.IsPastDue);
        Assert.True(timer.Schedule!.AdjustForDST);
        Assert.Equal(new DateTimeOffset(2026, 11, 25, 2, 0, 0, TimeSpan.Zero), timer.ScheduleStatus!.Next);
    }

    private static IEnumerable<string> Keys(JsonNode node) => node.AsObject().Select(p => p.Key).Order(StringComparer.Ordinal);

    // Gives the runner a moment to reach its next wait, then moves the fake clock.
    private static async Task Advance(FakeTimeProvider time, TimeSpan by)
    {
        await Task.Delay(30);
        time.Advance(by);
    }

    private Harness Start(string schedule, bool runOnStartup = false, Dictionary<string, string?>? settings = null)
    {
        var probe = new ProbeFunction("Tick" + Guid.NewGuid().ToString("N")[..8]);
        var folder = FunctionAppFolder.Create().WithTimer(probe.Name, schedule, runOnStartup);
        var time = new FakeTimeProvider(A.Now);
        return new Harness(new StandaloneApp(azurite, folder, time, settings, probe.AddTo), probe, time, folder);
    }

    private sealed class Harness(StandaloneApp app, ProbeFunction probe, FakeTimeProvider time, FunctionAppFolder folder) : IAsyncDisposable
    {
        public ProbeFunction Probe => probe;

        public FakeTimeProvider Time => time;

        public Task<HttpClient> StartAsync() => app.StartAsync();

        public async ValueTask DisposeAsync()
        {
            await app.DisposeAsync();
            folder.Dispose();
        }
    }
}
