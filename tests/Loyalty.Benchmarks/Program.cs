using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using Loyalty.Adapters.Storage;
using Loyalty.Benchmarks;
using Loyalty.Domain;
using Loyalty.Domain.Members;
using Loyalty.Domain.Program;
using Loyalty.Domain.Operations;
using Loyalty.Functions.Purchases;
using Microsoft.Extensions.DependencyInjection;

// Purchases end to end over HTTP against the raw rate of Azurite table transactions of the same shape; then the till's
// phone lookup and hold/capture pair against raw storage doing the same.
// Usage: Loyalty.Benchmarks <handler.dll> [--clients 16] [--seconds 15] [--members 256] [--only cold,pairs,...] [--storage-latency 10]
// (--only runs the named phases: pairs, sequential, till, cold, publication, drain; the raw baselines always run;
// --storage-latency adds that many ms to every round trip to the table and queue endpoints, for the raw phases and the
// app alike, through a loopback proxy: storage on another machine, as in Azure, rather than Azurite on loopback).
// Usage: Loyalty.Benchmarks <handler.dll> import [--members 2000] [--parallel 16] for the import's rate.
var connection = Environment.GetEnvironmentVariable(StorageAccount.SettingName)
    ?? throw new InvalidOperationException("Set AzureWebJobsStorage (eng/bench.sh starts Azurite and does).");
if (args.Contains("import"))
{
    return await ImportBenchmark.RunAsync(connection, args);
}

var options = Options.Parse(args);
var inv = CultureInfo.InvariantCulture;

// The in-process figures count requests and bytes, which latency does not change: they go to Azurite directly.
var direct = connection;
await using var proxy = options.StorageLatency > 0 ? LatencyProxy.Start(connection, TimeSpan.FromMilliseconds(options.StorageLatency)) : null;
connection = proxy?.Connection ?? connection;
var account = StorageAccount.FromConnectionString(connection);
var tables = account.CreateTableServiceClient();

Console.WriteLine(string.Create(inv, $"Loyalty Functions benchmark: {Environment.ProcessorCount} cores, {options.Clients} clients, {options.Members} members, {options.Seconds} s per phase after {options.Warmup} s warm-up (a new handler first settles, at most {options.Settle} s), storage latency {options.StorageLatency} ms"));
if (proxy is not null)
{
    var (loopback, delayed) = await RoundTrips(StorageAccount.FromConnectionString(direct).CreateTableServiceClient(), tables);
    Console.WriteLine(string.Create(inv, $"  (a loopback proxy in front of Azurite's table and queue endpoints, for the raw phases and the app alike; median point read one at a time: {loopback:F1} ms direct, {delayed:F1} ms through the proxy; the proxy's processor time counts as the clients')"));
}

var requests = await StorageRequestsPerPurchase(direct);
Console.WriteLine($"storage requests per purchase (measured in process): first of the day {requests.First}, then {requests.Steady}, after a lookup {requests.AfterLookup} (+1 for the lookup's read)");
var rawAllocated = await RawAllocationPerPurchase(StorageAccount.FromConnectionString(direct).CreateTableServiceClient());
Console.WriteLine(string.Create(inv, $"allocated per purchase (in process: recorder, domain, Table SDK; not the HTTP pipeline): {requests.AllocatedBytes / 1024.0:F1} KiB; raw SDK read + claim + transaction: {rawAllocated / 1024.0:F1} KiB"));
if (options.Only is { Count: 1 } only && only.Contains("requests"))
{
    return 0;
}

// The raw baselines, all in this run: what the storage itself does at this concurrency, without the app.
var raw = await RawTransactions(tables, options, RawShape.Transaction);
Console.WriteLine(raw.Format("raw table transactions (SDK, same shape)", "tx/s"));
var rawRead = await RawTransactions(tables, options, RawShape.ReadThenTransaction);
Console.WriteLine(rawRead.Format("raw read + transaction (SDK)", "tx/s"));
var rawClaim = await RawTransactions(tables, options, RawShape.ReadClaimTransaction);
Console.WriteLine(rawClaim.Format("raw read + claim insert + transaction (SDK)", "tx/s"));

// The cache on (the default): a till's lookup then its purchase; then purchases one after another on the same members
// (each commit keeps its row, so they commit with the claim and one transaction); then the till's other phases.
var run = "";
var tillErrors = 0;
var peaks = new List<(string Phase, double MiB)>();
var pairs = Result.None;
var off = await WithHandler(options.HandlerPath, connection, new Dictionary<string, string>(), async (handler, http) =>
{
    run = await Enroll(http, options);
    if (options.Runs("pairs"))
    {
        await Settle(options, "lookup then purchase", (window, k) => LookupThenPurchase(http, window, run, $"settle{k}"));
        pairs = await LookupThenPurchase(http, options, run);
        Console.WriteLine(pairs.Format("lookup then purchase (HTTP GET member + POST /api/purchases)", "pairs/s"));
        Console.WriteLine(string.Create(inv, $"  ratio pairs / raw read + transaction: {100 * pairs.Rate / rawRead.Rate:F1} % (target >= 90 %); / raw read + claim + transaction: {100 * pairs.Rate / rawClaim.Rate:F1} %"));
    }

    var e2e = Result.None;
    if (options.Runs("sequential"))
    {
        if (!options.Runs("pairs"))
        {
            await Settle(options, "purchases", (window, k) => EndToEnd(http, window, run, $"settle{k}"));
        }

        e2e = await EndToEnd(http, options, run, "off");
        Console.WriteLine(e2e.Format("purchases one after another, cache on, publication off (HTTP POST /api/purchases)", "purchases/s"));
        Console.WriteLine(string.Create(inv, $"  ratio / raw transactions: {100 * e2e.Rate / raw.Rate:F1} %; / raw read + transaction: {100 * e2e.Rate / rawRead.Rate:F1} %; p95 / raw read + transaction p95: {e2e.P95 / rawRead.P95:F2}"));
    }

    peaks.Add(("cache on", handler.PeakMemoryMiB()));
    if (!options.Runs("till"))
    {
        tillErrors = pairs.Errors;
        return e2e;
    }

    // At the till: finding a member by phone (the phone index, then the member row), and paying with points (a hold, then
    // its capture: two member transactions), beside raw storage doing the same reads and transactions.
    var rawLookups = await RawLookups(tables, options);
    Console.WriteLine(rawLookups.Format("raw phone lookups (SDK: index query + member read)", "lookups/s"));
    var lookups = await Lookups(http, options, run);
    Console.WriteLine(lookups.Format("end to end (HTTP GET /api/members?phone=)", "requests/s"));
    Console.WriteLine(string.Create(inv, $"ratio lookups / raw lookups: {100 * lookups.Rate / rawLookups.Rate:F1} %"));
    var holds = await HoldAndCapture(http, options, run);
    Console.WriteLine(holds.Format("end to end (HTTP hold + capture, one pair)", "pairs/s"));
    Console.WriteLine(string.Create(inv, $"  = {2 * holds.Rate:F1} requests/s; ratio member transactions / raw: {100 * 2 * holds.Rate / raw.Rate:F1} %"));
    peaks[^1] = ("cache on", handler.PeakMemoryMiB());
    tillErrors = lookups.Errors + holds.Errors + pairs.Errors;
    return e2e;
});

if (options.Runs("pairs"))
{
    await SameRequestsRaw(tables, options, run, "lookup then purchase", pairs);
}

// The cache off: every purchase reads the member first, as a purchase without a lookup before it does.
var cold = !options.Runs("cold") ? Result.None : await WithHandler(options.HandlerPath, connection, new Dictionary<string, string> { ["MemberCache__Enabled"] = "false" }, async (handler, http) =>
{
    await Settle(options, "cold purchases", (window, k) => EndToEnd(http, window, run, $"cold-settle{k}"));
    var e2e = await EndToEnd(http, options, run, "cold");
    Console.WriteLine(e2e.Format("cold purchase, cache off (HTTP POST /api/purchases)", "purchases/s"));
    Console.WriteLine(string.Create(inv, $"  ratio cold / raw read + transaction: {100 * e2e.Rate / rawRead.Rate:F1} % (target >= 90 %); / raw read + claim + transaction: {100 * e2e.Rate / rawClaim.Rate:F1} %"));
    Console.WriteLine(string.Create(inv, $"  tail: p95 {e2e.P95:F1} ms / raw read + transaction p95 {rawRead.P95:F1} ms = {e2e.P95 / rawRead.P95:F2} (target <= 1.3); / raw read + claim + transaction p95 {rawClaim.P95:F1} ms = {e2e.P95 / rawClaim.P95:F2}"));
    peaks.Add(("cache off", handler.PeakMemoryMiB()));
    return e2e;
});
if (options.Runs("cold"))
{
    await SameRequestsRaw(tables, options, run, "cold purchase", cold);
}

// Publication on: the dispatcher publishes right after each commit to an Event Grid topic on loopback.
await using var topic = await BenchTopic.StartAsync();
var on = !options.Runs("publication") ? Result.None : await WithHandler(options.HandlerPath, connection, topic.Settings, async (handler, http) =>
{
    // The earlier phases left their events in the outbox, and a member's next commit publishes them before its own:
    // they are counted, but only this phase's events are timed.
    // Not settled first: the one run that settled this handler for 22 s before the phase timed the outbox's backlog of
    // those seconds (commit to publication p50 82 s, against 4 s without), not the phase.
    topic.Since = TimeProvider.System.GetUtcNow();
    var e2e = await EndToEnd(http, options, run, "on");
    Console.WriteLine(e2e.Format("end to end, publication on  (HTTP POST /api/purchases)", "purchases/s"));
    var committed = await topic.DrainAsync(TimeSpan.FromSeconds(30));
    var delays = topic.Delays();
    Console.WriteLine(string.Create(inv,
        $"commit to publication: p50 {Percentile(delays, 0.50):F1} ms   p95 {Percentile(delays, 0.95):F1} ms   p99 {Percentile(delays, 0.99):F1} ms   ({delays.Length} events of this phase in {topic.Requests} requests, {(committed ? "all published" : "NOT all published within 30 s")}; {topic.Earlier} earlier events from the outbox not timed)"));
    peaks.Add(("publication on", handler.PeakMemoryMiB()));
    return e2e;
});
if (options.Runs("publication") && options.Runs("sequential"))
{
    Console.WriteLine(string.Create(inv, $"publication on / off: {100 * on.Rate / off.Rate:F1} %"));
}

// The queue: purchases sent to the Storage queue as the standalone runner drains it (at most QueueDrain.Backlog waiting),
// beside the same messages drained with the SDK alone (receive and delete, no purchase recorded).
var drains = options.Runs("drain") && Environment.GetEnvironmentVariable("BENCH_AZURITE_ON_DISK") == "1";
if (options.Runs("drain") && !drains)
{
    Console.WriteLine("queue drain: not run with Azurite in memory, whose queue collector stops it for minutes after a few thousand messages (README \"Benchmark\"); BENCH_AZURITE=artifacts/bench/azurite-data runs it on disk");
}

var rawDrain = !drains ? Result.None : await QueueDrain.RawAsync(options, account);
if (drains)
{
    Console.WriteLine(string.Create(inv, $"raw queue drain (SDK: receive 16, delete each, {QueueDrain.Purchases:N0} messages sent as it drains, at most {QueueDrain.Backlog} waiting, no app): {rawDrain.Rate,8:F1} messages/s ({rawDrain.Errors} left)   CPU per op: {rawDrain.CpuPerOperation}"));
}

var drain = !drains ? Result.None : await QueueDrain.RunAsync(options, account, (settings, phase) => WithHandler(options.HandlerPath, connection, settings, async (handler, http) =>
{
    var result = await phase(http);
    peaks.Add((settings.ContainsKey("TriggerRunner__Enabled") ? "queue fill" : "queue drain", handler.PeakMemoryMiB()));
    return result;
}));
if (drains)
{
    Console.WriteLine(string.Create(inv, $"queue drain (standalone runner, {QueueDrain.Purchases:N0} purchases over {QueueDrain.Members:N0} members, sent as it drains, at most {QueueDrain.Backlog} waiting): {drain.Rate,8:F1} purchases/s recorded ({drain.Errors} not recorded: not sent in 300 s, left or poisoned; CPU per purchase: {drain.CpuPerOperation}); raw queue drain {rawDrain.Rate:F1}/s = {100 * drain.Rate / rawDrain.Rate:F1} %; HTTP cold {cold.Rate:F1}/s, HTTP one after another {off.Rate:F1}/s"));
}

// The raw baselines again, after the app phases, on fresh tables of the Azurite they filled (the first raw phases also
// ran on a benchmark process still compiling). What the app's own full tables cost is measured by SameRequestsRaw.
if (options.Runs("pairs") || options.Runs("cold"))
{
    var rawReadAfter = await RawTransactions(tables, options, RawShape.ReadThenTransaction);
    Console.WriteLine(rawReadAfter.Format("raw read + transaction (SDK), again after the app phases", "tx/s"));
    var rawClaimAfter = await RawTransactions(tables, options, RawShape.ReadClaimTransaction);
    Console.WriteLine(rawClaimAfter.Format("raw read + claim insert + transaction (SDK), again after the app phases", "tx/s"));
    Console.WriteLine(string.Create(inv, $"  raw after / raw first: read + transaction {100 * rawReadAfter.Rate / rawRead.Rate:F1} %, read + claim + transaction {100 * rawClaimAfter.Rate / rawClaim.Rate:F1} %"));
    if (options.Runs("pairs"))
    {
        Console.WriteLine(string.Create(inv, $"  pairs / raw read + transaction: first {100 * pairs.Rate / rawRead.Rate:F1} %, final {100 * pairs.Rate / rawReadAfter.Rate:F1} % (target >= 90 %); / raw read + claim + transaction: first {100 * pairs.Rate / rawClaim.Rate:F1} %, final {100 * pairs.Rate / rawClaimAfter.Rate:F1} %"));
    }

    if (options.Runs("cold"))
    {
        Console.WriteLine(string.Create(inv, $"  cold / raw read + transaction: first {100 * cold.Rate / rawRead.Rate:F1} %, final {100 * cold.Rate / rawReadAfter.Rate:F1} % (target >= 90 %); / raw read + claim + transaction: first {100 * cold.Rate / rawClaim.Rate:F1} %, final {100 * cold.Rate / rawClaimAfter.Rate:F1} %"));
        Console.WriteLine(string.Create(inv, $"  cold p95 / raw read + transaction p95: first {cold.P95 / rawRead.P95:F2}, final {cold.P95 / rawReadAfter.P95:F2} (target <= 1.3); / raw read + claim + transaction p95: first {cold.P95 / rawClaim.P95:F2}, final {cold.P95 / rawClaimAfter.P95:F2}"));
    }
}

Console.WriteLine("handler peak memory (VmHWM): " + string.Join(", ", peaks.Select(p => string.Create(inv, $"{p.Phase} {p.MiB:F0} MiB"))) + " (target <= 120 MiB)");
if (off.Errors + on.Errors + cold.Errors + drain.Errors + tillErrors > 0)
{
    Console.WriteLine($"errors during the end-to-end phases: purchases {off.Errors + on.Errors + cold.Errors}, queue {drain.Errors}, till {tillErrors}");
    return 1;
}

return 0;

static async Task<Result> WithHandler(string dll, string connection, IReadOnlyDictionary<string, string> settings, Func<Handler, HttpClient, Task<Result>> phase)
{
    using var handler = Handler.Start(dll, connection, settings);
    Cpu.HandlerPid = handler.ProcessId;
    try
    {
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64 }) { BaseAddress = handler.BaseAddress };
        await handler.WaitHealthyAsync(http);
        return await phase(handler, http);
    }
    finally
    {
        handler.Stop();
        Cpu.HandlerPid = null;
    }
}

// Right after an app phase, the same requests made with the SDK alone, on the app's own tables: a read of a member row
// like the app's, a claim in the app's claims table, and one transaction adding rows with the properties of one of the
// app's purchases and replacing the member row. Azurite's cost per request grows with what a table holds (an insert into
// a table of one-row partitions, as the claims are, takes it longer the more rows the table has), and these pay it as
// the phase did; the raw phases before the app, on fresh tables, do not.
static async Task SameRequestsRaw(TableServiceClient tables, Options options, string run, string what, Result app)
{
    var rows = await AppRows.FromAsync(tables, $"bench-{run}-0");
    var claims = 0;
    await foreach (var page in tables.GetTableClient(Loyalty.Adapters.Storage.Tables.Claims).QueryAsync<TableEntity>(select: ["PartitionKey"], maxPerPage: 1000).AsPages())
    {
        claims += page.Values.Count;
    }

    var raw = rows is null ? Result.None : await RawTransactions(tables, options, RawShape.ReadClaimTransaction, rows);
    Console.WriteLine(raw.Format($"  the same requests with the SDK alone, right after, on the app's tables ({claims:N0} claims; {rows?.Added} rows added and the member row replaced)", "tx/s"));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {what} / the same requests raw: {100 * app.Rate / raw.Rate:F1} %; p95 {app.P95 / raw.P95:F2} ×"));
}

static double Percentile(double[] sorted, double p) => sorted.Length == 0 ? double.NaN : sorted[(int)Math.Min(sorted.Length - 1, Math.Floor(p * sorted.Length))];

static async Task<Result> RawTransactions(TableServiceClient tables, Options options, RawShape shape, AppRows? app = null)
{
    // Fresh tables, deleted after; with the app's rows, the app's own tables (members under partitions of their own).
    var table = tables.GetTableClient(app is null ? "benchraw" + Guid.NewGuid().ToString("N")[..8] : Loyalty.Adapters.Storage.Tables.Members);
    var claims = tables.GetTableClient(app is null ? "benchclaims" + Guid.NewGuid().ToString("N")[..8] : Loyalty.Adapters.Storage.Tables.Claims);
    if (app is null)
    {
        await Task.WhenAll(table.CreateAsync(), claims.CreateAsync());
    }

    var prefix = app is null ? "m" : $"raw-{Guid.NewGuid():N}"[..12] + "-";
    try
    {
        var etags = new ETag[options.Members];
        await Parallel.ForEachAsync(Enumerable.Range(0, options.Members), new ParallelOptions { MaxDegreeOfParallelism = options.Clients }, async (m, ct) =>
            etags[m] = (await table.AddEntityAsync(app?.Member($"{prefix}{m}") ?? RawMemberRow(m, 0), ct)).Headers.ETag!.Value);

        var seq = new long[options.Members];
        return await Measure(options, async (client, n) =>
        {
            var m = client + (n % (options.Members / options.Clients) * options.Clients);
            var id = $"{client}-{n}-{Guid.NewGuid():N}";
            await (app is null ? RawPurchase(table, claims, shape, m, id, etags, seq) : app.PurchaseAsync(table, claims, $"{prefix}{m}", id));
            return true;
        });
    }
    finally
    {
        if (app is null)
        {
            await Task.WhenAll(table.DeleteAsync(), claims.DeleteAsync());
        }
    }
}

// One purchase as raw storage calls of the given shape: the member row read (unless a bare transaction), the claim row
// (for that shape), then the transaction adding the operation and ledger rows and replacing the member row.
static async Task RawPurchase(TableClient table, TableClient claims, RawShape shape, int m, string id, ETag[] etags, long[] seq)
{
    if (shape != RawShape.Transaction)
    {
        // The member row as the app reads it (the whole row, with its ETag).
        etags[m] = (await table.GetEntityAsync<TableEntity>($"m{m}", "member")).Value.ETag;
    }

    if (shape == RawShape.ReadClaimTransaction)
    {
        await claims.AddEntityAsync(new TableEntity($"purchase|{id}", "") { ["Member"] = $"m{m}", ["ClaimedAt"] = DateTimeOffset.UnixEpoch });
    }

    var s = ++seq[m];
    var actions = new[]
    {
        new TableTransactionAction(TableTransactionActionType.Add, new TableEntity($"m{m}", $"op|purchase|{id}") { ["Hash"] = new string('h', 44), ["Result"] = new string('r', 120), ["Entries"] = "1" }),
        new TableTransactionAction(TableTransactionActionType.Add, new TableEntity($"m{m}", $"entry|{long.MaxValue - s:D19}") { ["Seq"] = s, ["Kind"] = "Earn", ["Points"] = 10L, ["BalanceAfter"] = 10L * s, ["Reference"] = "p" }),
        new TableTransactionAction(TableTransactionActionType.UpdateReplace, RawMemberRow(m, s), etags[m]),
    };
    var response = await table.SubmitTransactionAsync(actions);
    etags[m] = response.Value[2].Headers.ETag!.Value;
}

// What the raw storage calls of a read + claim + transaction allocate in this process, beside the app's own figure.
static async Task<double> RawAllocationPerPurchase(TableServiceClient tables)
{
    var table = tables.GetTableClient("benchalloc" + Guid.NewGuid().ToString("N")[..8]);
    var claims = tables.GetTableClient("benchallocclaims" + Guid.NewGuid().ToString("N")[..8]);
    await Task.WhenAll(table.CreateAsync(), claims.CreateAsync());
    try
    {
        var etags = new[] { (await table.AddEntityAsync(RawMemberRow(0, 0))).Headers.ETag!.Value };
        var seq = new long[1];
        for (var i = 0; i < 20; i++)
        {
            await RawPurchase(table, claims, RawShape.ReadClaimTransaction, 0, $"warm-{i}", etags, seq);
        }

        const int Allocating = 200;
        var before = GC.GetTotalAllocatedBytes(precise: true);
        for (var i = 0; i < Allocating; i++)
        {
            await RawPurchase(table, claims, RawShape.ReadClaimTransaction, 0, $"alloc-{i}", etags, seq);
        }

        return (GC.GetTotalAllocatedBytes(precise: true) - before) / (double)Allocating;
    }
    finally
    {
        await Task.WhenAll(table.DeleteAsync(), claims.DeleteAsync());
    }
}

static TableEntity RawMemberRow(int m, long seq) => new($"m{m}", "member")
{
    ["FirstName"] = "Bench",
    ["Locale"] = "en",
    ["TimeZone"] = "UTC",
    ["LastSeq"] = seq,
    ["Lifetime"] = 10L * seq,
    ["Lots"] = "2027-11-24=" + (10 * seq).ToString(CultureInfo.InvariantCulture),
};

// Members with a phone each and points to pay with (an adjustment: available at once, whatever the return window).
static async Task<string> Enroll(HttpClient http, Options options)
{
    var run = Guid.NewGuid().ToString("N")[..8];
    await Parallel.ForEachAsync(Enumerable.Range(0, options.Members), new ParallelOptions { MaxDegreeOfParallelism = options.Clients }, async (m, ct) =>
    {
        using var put = await http.PutAsync($"/api/members/bench-{run}-{m}", Json($$"""{"firstName":"Bench","phone":"{{BenchPhone(m)}}"}"""), ct);
        put.EnsureSuccessStatusCode();
        using var points = await http.PostAsync(
            $"/api/members/bench-{run}-{m}/adjustments", Json($$"""{"adjustmentId":"{{run}}-start-{{m}}","points":1000000,"reason":"benchmark"}"""), ct);
        points.EnsureSuccessStatusCode();
    });

    return run;
}

static string BenchPhone(int member) => "+1425555" + (1000 + member).ToString(CultureInfo.InvariantCulture);

static async Task<Result> Lookups(HttpClient http, Options options, string run) => await Measure(options, async (client, n) =>
{
    var m = client + (n % (options.Members / options.Clients) * options.Clients);
    using var response = await http.GetAsync("/api/members?phone=" + Uri.EscapeDataString(BenchPhone(m)));
    return response.StatusCode == HttpStatusCode.OK && (await response.Content.ReadAsStringAsync()).Contains($"bench-{run}-{m}\"", StringComparison.Ordinal);
});

static async Task<Result> HoldAndCapture(HttpClient http, Options options, string run) => await Measure(options, async (client, n) =>
{
    var m = client + (n % (options.Members / options.Clients) * options.Clients);
    var hold = $"{run}-h-{client}-{n}";
    using var held = await http.PostAsync($"/api/members/bench-{run}-{m}/holds", Json($$"""{"holdId":"{{hold}}","points":5}"""));
    using var captured = await http.PostAsync($"/api/members/bench-{run}-{m}/holds/{hold}/capture", Json($$"""{"orderId":"{{hold}}"}"""));
    return held.StatusCode == HttpStatusCode.Created && captured.StatusCode == HttpStatusCode.OK;
});

// The storage a phone lookup needs, made directly: one query of an index partition, one point read of the member row.
static async Task<Result> RawLookups(TableServiceClient tables, Options options)
{
    var index = tables.GetTableClient("benchidx" + Guid.NewGuid().ToString("N")[..8]);
    var rows = tables.GetTableClient("benchrows" + Guid.NewGuid().ToString("N")[..8]);
    await Task.WhenAll(index.CreateAsync(), rows.CreateAsync());
    try
    {
        await Parallel.ForEachAsync(Enumerable.Range(0, options.Members), new ParallelOptions { MaxDegreeOfParallelism = options.Clients }, async (m, ct) =>
        {
            await index.AddEntityAsync(new TableEntity($"k{m}", $"m{m}"), ct);
            await rows.AddEntityAsync(new TableEntity($"m{m}", "member") { ["FirstName"] = "Bench", ["Phone"] = BenchPhone(m), ["Lots"] = "2027-11-24=10" }, ct);
        });

        return await Measure(options, async (client, n) =>
        {
            var m = client + (n % (options.Members / options.Clients) * options.Clients);
            var found = 0;
            await foreach (var hint in index.QueryAsync<TableEntity>($"PartitionKey eq 'k{m}'"))
            {
                found += (await rows.GetEntityIfExistsAsync<TableEntity>(hint.RowKey, "member")).HasValue ? 1 : 0;
            }

            return found == 1;
        });
    }
    finally
    {
        await Task.WhenAll(index.DeleteAsync(), rows.DeleteAsync());
    }
}

static async Task<Result> LookupThenPurchase(HttpClient http, Options options, string run, string phase = "pair") => await Measure(options, async (client, n) =>
{
    var m = client + (n % (options.Members / options.Clients) * options.Clients);
    using var lookup = await http.GetAsync($"/api/members/bench-{run}-{m}");
    var body = $$"""{"purchaseId":"{{run}}-{{phase}}-{{client}}-{{n}}","memberId":"bench-{{run}}-{{m}}","amount":10.50,"currency":"USD","occurredAt":"2026-01-01T10:00:00Z"}""";
    using var purchase = await http.PostAsync("/api/purchases", Json(body));
    return lookup.StatusCode == HttpStatusCode.OK && purchase.StatusCode == HttpStatusCode.Created;
});

static async Task<Result> EndToEnd(HttpClient http, Options options, string run, string phase)
{
    return await Measure(options, async (client, n) =>
    {
        var m = client + (n % (options.Members / options.Clients) * options.Clients);
        var body = $$"""{"purchaseId":"{{run}}-{{phase}}-{{client}}-{{n}}","memberId":"bench-{{run}}-{{m}}","amount":10.50,"currency":"USD","occurredAt":"2026-01-01T10:00:00Z"}""";
        using var response = await http.PostAsync("/api/purchases", Json(body));
        return response.StatusCode == HttpStatusCode.Created;
    });
}

// The median of point reads one at a time, straight to Azurite and through the latency proxy: the latency the proxy adds.
static async Task<(double Direct, double Proxied)> RoundTrips(TableServiceClient direct, TableServiceClient proxied)
{
    var name = "benchrtt" + Guid.NewGuid().ToString("N")[..8];
    await direct.CreateTableAsync(name);
    try
    {
        async Task<double> Median(TableServiceClient tables)
        {
            var table = tables.GetTableClient(name);
            var times = new double[21];
            for (var i = 0; i < times.Length; i++)
            {
                var start = Stopwatch.GetTimestamp();
                await table.GetEntityIfExistsAsync<TableEntity>("none", "none");
                times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            }

            return times.Order().ElementAt(times.Length / 2);
        }

        // Connections opened and code jitted before either is timed.
        await Median(direct);
        await Median(proxied);
        return (await Median(direct), await Median(proxied));
    }
    finally
    {
        await direct.DeleteTableAsync(name);
    }
}

static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

// A handler just started compiles its hot path in tiers (quick JIT, then instrumented, then optimised with what the
// instrumented code saw), and under load on two shared cores that takes seconds, during which it spends several times
// the processor time per operation it spends warm. Before a new handler's first measured phase, the phase's operation
// runs in windows of 2 s until the runtime's tiered compilation thread (".NET Tiered Com") used under 1 % of the
// handler's processor time in a window: nothing is left to recompile (at most --settle seconds; 0: no settling).
static async Task Settle(Options options, string what, Func<Options, int, Task<Result>> phase)
{
    if (options.Settle <= 0)
    {
        return;
    }

    var window = options with { Warmup = 0, Seconds = 2 };
    var clock = Stopwatch.StartNew();
    Result first = Result.None, last = Result.None;
    double tiering = 0, handler = 0;
    for (var k = 0; clock.Elapsed.TotalSeconds < options.Settle; k++)
    {
        var (tieringBefore, handlerBefore) = (Cpu.Tiering(), Cpu.Now().Handler);
        last = await phase(window, k);
        (tiering, handler) = (Cpu.Tiering() - tieringBefore, Cpu.Now().Handler - handlerBefore);
        first = k == 0 ? last : first;
        if (tiering < 0.01 * handler)
        {
            break;
        }
    }

    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"  a new handler settling ({what}): {clock.Elapsed.TotalSeconds:F0} s until its tiered compilation thread used {100 * tiering / handler:F1} % of its processor time in 2 s; per operation {first.CpuPerOperation.Handler:F2} ms in the first 2 s ({first.Rate:F0}/s), {last.CpuPerOperation.Handler:F2} ms in the last ({last.Rate:F0}/s)"));
}

// Runs the operation from every client in a loop: a warm-up, then the measured window.
static async Task<Result> Measure(Options options, Func<int, int, Task<bool>> operation)
{
    var latencies = new List<double>[options.Clients];
    var errors = 0;
    var warmupEnd = Stopwatch.GetTimestamp() + (long)(options.Warmup * Stopwatch.Frequency);
    var end = warmupEnd + (long)(options.Seconds * Stopwatch.Frequency);
    var cpuAtStart = Task.Delay(TimeSpan.FromSeconds(options.Warmup)).ContinueWith(_ => (Cpu: Cpu.Now(), Requests: LatencyProxy.Requests), TaskScheduler.Default);
    await Task.WhenAll(Enumerable.Range(0, options.Clients).Select(client => Task.Run(async () =>
    {
        latencies[client] = [];
        for (var n = 0; ; n++)
        {
            var start = Stopwatch.GetTimestamp();
            if (start >= end)
            {
                return;
            }

            var ok = await operation(client, n);
            var stop = Stopwatch.GetTimestamp();
            if (start >= warmupEnd)
            {
                latencies[client].Add((stop - start) * 1000.0 / Stopwatch.Frequency);
                if (!ok)
                {
                    Interlocked.Increment(ref errors);
                }
            }
        }
    })));
    var atStart = await cpuAtStart;
    var cpu = Cpu.Now() - atStart.Cpu;
    var requests = LatencyProxy.Requests - atStart.Requests;
    var all = latencies.SelectMany(l => l).Order().ToArray();
    return new Result(all.Length / options.Seconds, Percentile(all, 0.50), Percentile(all, 0.95), Percentile(all, 0.99), errors)
    {
        CpuPerOperation = cpu / all.Length,
        StorageRequestsPerOperation = (double)requests / all.Length,
    };
}

// The same code path as the handler, with a pipeline policy counting what reaches storage; and what that path allocates
// per purchase (this process does nothing else meanwhile).
static async Task<(int First, int Steady, int AfterLookup, double AllocatedBytes)> StorageRequestsPerPurchase(string connection)
{
    var counter = new CountingPolicy();
    var tableOptions = StorageAccount.DefaultTableOptions();
    tableOptions.AddPolicy(counter, HttpPipelinePosition.PerCall);
    var tables = new TableServiceClient(connection, tableOptions);
    foreach (var t in Loyalty.Adapters.Storage.Tables.All)
    {
        await tables.CreateTableIfNotExistsAsync(t);
    }

    var program = new ProgramDefinition { Name = "Bench", Currencies = new Dictionary<string, CurrencyRule> { ["USD"] = new() } };
    var store = MemberStore.Create(tables, program, new PhoneKeys(BenchKeys.Phone), TimeProvider.System, cache: new MemberCache(new MemberCacheSettings { Enabled = false }));
    var cached = MemberStore.Create(tables, program, new PhoneKeys(BenchKeys.Phone), TimeProvider.System);
    var metrics = new Loyalty.Functions.Telemetry.LoyaltyMetrics(new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());
    var member = MemberId.Parse("bench-count-" + Guid.NewGuid().ToString("N")[..8]);
    await store.SaveProfileAsync(member, new MemberProfile(), CancellationToken.None);
    var at = TimeProvider.System.GetUtcNow().AddMinutes(-1);

    async Task<int> Count(MemberStore on, string id)
    {
        var before = counter.Count;
        await new PurchaseRecorder(on, program, TimeProvider.System, metrics).RecordAsync(
            new Purchase(OperationId.Parse(id), member, new Money(10, Currency.Parse("USD")), at, null, []), CancellationToken.None);
        return counter.Count - before;
    }

    var first = await Count(store, "first-" + member.Value);
    var steady = await Count(store, "second-" + member.Value);
    await Count(cached, "warm-" + member.Value); // this store's own pending-events hint, written once per member
    await cached.GetAsync(member, CancellationToken.None);
    var afterLookup = await Count(cached, "third-" + member.Value);

    const int Allocating = 200;
    for (var i = 0; i < 20; i++)
    {
        await Count(store, $"warm-{i}-{member.Value}");
    }

    var allocated = GC.GetTotalAllocatedBytes(precise: true);
    for (var i = 0; i < Allocating; i++)
    {
        await Count(store, $"alloc-{i}-{member.Value}");
    }

    return (first, steady, afterLookup, (GC.GetTotalAllocatedBytes(precise: true) - allocated) / (double)Allocating);
}

/// <summary>The phone index's secret for the benchmark's own Azurite: not a secret anywhere else.</summary>
internal static class BenchKeys
{
    public const string Phone = "benchmark-only-phone-key-0123456789";
}

internal enum RawShape
{
    Transaction,
    ReadThenTransaction,
    ReadClaimTransaction,
}

internal sealed record Result(double Rate, double P50, double P95, double P99, int Errors)
{
    /// <summary>A phase that did not run.</summary>
    public static Result None { get; } = new(double.NaN, double.NaN, double.NaN, double.NaN, 0);

    /// <summary>Processor time each process spent per operation of the measured window.</summary>
    public CpuTimes CpuPerOperation { get; init; }

    /// <summary>Storage requests per operation of the measured window, as the latency proxy counted them (0 without it).</summary>
    public double StorageRequestsPerOperation { get; init; }

    public string Format(string what, string unit) => string.Create(CultureInfo.InvariantCulture,
        $"{what}: {Rate,8:F1} {unit}   p50 {P50:F1} ms   p95 {P95:F1} ms   p99 {P99:F1} ms   CPU per op: {CpuPerOperation}")
        + (StorageRequestsPerOperation > 0 ? string.Create(CultureInfo.InvariantCulture, $"; storage requests per op {StorageRequestsPerOperation:F2}") : "");
}

/// <summary>Processor time (user + system) used so far by the handler, Azurite and this benchmark (the clients), in ms:
/// on a machine where all three share the cores, the sum per operation bounds the rate.</summary>
internal readonly record struct CpuTimes(double Handler, double Azurite, double Client)
{
    public static CpuTimes operator -(CpuTimes a, CpuTimes b) => new(a.Handler - b.Handler, a.Azurite - b.Azurite, a.Client - b.Client);

    public static CpuTimes operator /(CpuTimes a, int n) => new(a.Handler / n, a.Azurite / n, a.Client / n);

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"handler {Handler:F2} ms, Azurite {Azurite:F2} ms, clients {Client:F2} ms");
}

internal static class Cpu
{
    private static readonly int? AzuritePid = int.TryParse(Environment.GetEnvironmentVariable("BENCH_AZURITE_PID"), out var pid) ? pid : null;

    /// <summary>The handler process of the phase running now, if any.</summary>
    public static int? HandlerPid { get; set; }

    public static CpuTimes Now() => new(Of(HandlerPid), Of(AzuritePid), Process.GetCurrentProcess().TotalProcessorTime.TotalMilliseconds);

    /// <summary>Processor time (ms) of the handler's tiered compilation thread(s) alive now: the runtime names the thread
    /// that recompiles hot methods ".NET Tiered Compilation Worker", which Linux cuts to 15 characters.</summary>
    public static double Tiering()
    {
        if (HandlerPid is not { } p || !Directory.Exists($"/proc/{p}/task"))
        {
            return 0;
        }

        var total = 0.0;
        foreach (var task in Directory.EnumerateDirectories($"/proc/{p}/task"))
        {
            try
            {
                if (File.ReadAllText(Path.Combine(task, "comm")).StartsWith(".NET Tiered Com", StringComparison.Ordinal))
                {
                    total += Ticks(File.ReadAllText(Path.Combine(task, "stat")));
                }
            }
            catch (IOException)
            {
                // The thread ended meanwhile.
            }
        }

        return total;
    }

    // /proc/<pid>/stat: utime and stime are the 14th and 15th fields, in clock ticks (100 per second on Linux).
    private static double Of(int? pid)
    {
        if (pid is not { } p || !File.Exists($"/proc/{p}/stat"))
        {
            return 0;
        }

        return Ticks(File.ReadAllText($"/proc/{p}/stat"));
    }

    private static double Ticks(string stat)
    {
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) * 10.0;
    }
}

internal sealed class CountingPolicy : HttpPipelineSynchronousPolicy
{
    private int count;

    public int Count => count;

    public override void OnSendingRequest(HttpMessage message) => Interlocked.Increment(ref count);
}

internal sealed record Options(string HandlerPath, int Clients, double Seconds, double Warmup, int Members, IReadOnlySet<string>? Only = null, double StorageLatency = 0, double Settle = 60)
{
    /// <summary>Whether the phase runs: all of them unless <c>--only</c> names some.</summary>
    public bool Runs(string phase) => Only is null || Only.Contains(phase);

    public static Options Parse(string[] args)
    {
        string Value(string name, string fallback) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
        var clients = int.Parse(Value("--clients", "16"), CultureInfo.InvariantCulture);
        var members = int.Parse(Value("--members", "256"), CultureInfo.InvariantCulture);
        return new Options(
            args.Length > 0 && !args[0].StartsWith("--", StringComparison.Ordinal) ? args[0] : throw new ArgumentException("The first argument is the handler: the native executable, or Loyalty.Functions.dll."),
            clients,
            double.Parse(Value("--seconds", "15"), CultureInfo.InvariantCulture),
            double.Parse(Value("--warmup", "3"), CultureInfo.InvariantCulture),
            Math.Max(clients, members / clients * clients),
            Value("--only", "") is { Length: > 0 } only ? only.Split(',').ToHashSet(StringComparer.Ordinal) : null,
            double.Parse(Value("--storage-latency", "0"), CultureInfo.InvariantCulture),
            double.Parse(Value("--settle", "60"), CultureInfo.InvariantCulture));
    }
}

/// <summary>The handler in its own process, as it runs in production, so that its memory is its own.</summary>
internal sealed class Handler : IDisposable
{
    private static int started;
    private readonly Process process;
    private readonly StreamWriter log;

    private Handler(Process process, StreamWriter log, Uri baseAddress) => (this.process, this.log, BaseAddress) = (process, log, baseAddress);

    public Uri BaseAddress { get; }

    public int ProcessId => process.Id;

    public static Handler Start(string dll, string connection, IReadOnlyDictionary<string, string> settings)
    {
        var port = FreePort();
        // The native handler (eng/package.sh) runs as itself; a JIT-compiled one (a .dll) under dotnet.
        var native = !dll.EndsWith(".dll", StringComparison.Ordinal);
        var start = new ProcessStartInfo(native ? dll : "dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        if (!native)
        {
            start.ArgumentList.Add(dll);
        }

        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add($"http://127.0.0.1:{port}");
        start.Environment[StorageAccount.SettingName] = connection;
        start.Environment[PhoneKeys.CurrentSetting] = BenchKeys.Phone;
        start.Environment["Logging__LogLevel__Default"] = "Warning";

        // HANDLER_<NAME>=<value> in the benchmark's environment sets <NAME> for the handler only (HANDLER_DOTNET_gcServer=0).
        foreach (var (name, value) in Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .Select(e => ((string)e.Key, (string?)e.Value ?? "")).Where(e => e.Item1.StartsWith("HANDLER_", StringComparison.Ordinal)))
        {
            start.Environment[name["HANDLER_".Length..]] = value;
        }

        foreach (var (name, value) in settings)
        {
            start.Environment[name] = value;
        }
        var process = Process.Start(start)!;
        // Warnings and errors only (the log level above): artifacts/bench/handler-<n>.log.
        Directory.CreateDirectory(Path.Combine("artifacts", "bench"));
        var log = new StreamWriter(Path.Combine("artifacts", "bench", $"handler-{Interlocked.Increment(ref started)}.log")) { AutoFlush = true };
        process.OutputDataReceived += (_, e) => Write(log, e.Data);
        process.ErrorDataReceived += (_, e) => Write(log, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new Handler(process, log, new Uri($"http://127.0.0.1:{port}"));
    }

    public async Task WaitHealthyAsync(HttpClient http)
    {
        for (var i = 0; i < 300; i++)
        {
            try
            {
                using var health = await http.GetAsync("/api/health");
                if (health.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(100);
        }

        throw new InvalidOperationException("The handler did not become healthy.");
    }

    public double PeakMemoryMiB()
    {
        var line = File.ReadLines($"/proc/{process.Id}/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
    }

    public void Stop()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(5000);
        }
    }

    public void Dispose()
    {
        Stop();
        process.Dispose();
        lock (log)
        {
            log.Dispose();
        }
    }

    private static void Write(StreamWriter log, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (log)
        {
            if (log.BaseStream is not null)
            {
                log.WriteLine(line);
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

// The rows one of the app's purchases wrote (its operation, ledger entries and events, and the member row after it),
// read back from the app's tables after its phases, to replay with the SDK alone: a read of the member row, a claim of
// the app's shape, and one transaction adding rows with the same properties and replacing the member row. Azurite's
// processor time grows with the properties of what it stores, and the app's member row carries about 35 of them.
internal sealed class AppRows(TableEntity member, IReadOnlyList<TableEntity> added, TableEntity claim)
{
    public static async Task<AppRows?> FromAsync(TableServiceClient tables, string memberId)
    {
        var members = tables.GetTableClient(Loyalty.Adapters.Storage.Tables.Members);
        var rows = new List<TableEntity>();
        await foreach (var row in members.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {memberId}")))
        {
            rows.Add(row);
        }

        var member = rows.FirstOrDefault(r => r.RowKey == "member");
        var op = rows.LastOrDefault(r => r.RowKey.StartsWith("op|purchase|", StringComparison.Ordinal));
        if (member is null || op is null)
        {
            return null;
        }

        // The entries and events of that purchase: those its operation row names, and the events caused by it.
        var entries = (op.GetString("Entries") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries)
            .Select(seq => rows.First(r => r.RowKey.StartsWith("entry|", StringComparison.Ordinal) && r.GetInt64("Seq") == long.Parse(seq, CultureInfo.InvariantCulture)));
        var events = rows.Where(r => r.RowKey.StartsWith("event|", StringComparison.Ordinal) && r.GetString("Cause") == "purchase " + op.RowKey["op|purchase|".Length..]);
        var claims = tables.GetTableClient(Loyalty.Adapters.Storage.Tables.Claims);
        TableEntity? claim = null;
        await foreach (var row in claims.QueryAsync<TableEntity>(maxPerPage: 1))
        {
            claim = row;
            break;
        }

        return claim is null ? null : new AppRows(member, [op, .. entries, .. events], claim);
    }

    /// <summary>The app's rows added per purchase, for the header.</summary>
    public int Added => added.Count;

    public TableEntity Member(string partition) => Copy(member, partition, member.RowKey);

    public async Task PurchaseAsync(TableClient table, TableClient claims, string partition, string id)
    {
        var read = (await table.GetEntityAsync<TableEntity>(partition, member.RowKey)).Value;
        await claims.AddEntityAsync(Copy(claim, $"purchase|{id}", ""));
        var actions = added.Select((row, i) => new TableTransactionAction(TableTransactionActionType.Add, Copy(row, partition, $"{row.RowKey.Split('|')[0]}|{id}|{i}")))
            .Append(new TableTransactionAction(TableTransactionActionType.UpdateReplace, Copy(read, partition, read.RowKey), read.ETag));
        await table.SubmitTransactionAsync(actions);
    }

    private static TableEntity Copy(TableEntity from, string partition, string rowKey)
    {
        var copy = new TableEntity(partition, rowKey);
        foreach (var (name, value) in from.Where(p => p.Key is not ("PartitionKey" or "RowKey" or "Timestamp" or "odata.etag")))
        {
            copy[name] = value;
        }

        return copy;
    }
}
