using Azure.Data.Tables;
using Loyalty.Adapters.Storage;
using Loyalty.Domain;
using Loyalty.Domain.Ledger;
using Loyalty.Domain.Members;
using Loyalty.Functions.Outreach;
using Loyalty.Tests.Infrastructure;

namespace Loyalty.Tests.Outreach;

/// <summary>Planners and nightly jobs read what is due, not the member base: every storage request the app makes during a
/// run is counted (an Azure.Core pipeline policy on its Table and Queue clients), with 20 members due for each campaign and
/// job among 5,000 members, and again among 100,000: the counts follow the due members only. Seeding is heavy for two
/// cores, so the test runs alone, not beside tests that race for ETags.</summary>
[Collection(typeof(RunsAlone))]
public sealed class PlannerRequestCountTests(PrivateAzurite azurite) : IClassFixture<PrivateAzurite>
{
    private const int Members = 5_000;
    private const int ManyMembers = 100_000;
    private const int Due = 20;

    /// <summary>10:00 in Shanghai: every due member's window is open, so each plan is complete in one run.</summary>
    private static readonly DateTimeOffset Night = new(2026, 11, 24, 2, 0, 0, TimeSpan.Zero);

    private static readonly DateOnly Today = DateOnly.FromDateTime(Night.UtcDateTime);

    [Fact]
    public async Task PlannersAndJobs_With5000And100000MembersOf20Due_MakeRequestsThatGrowWithTheDueMembersOnly()
    {
        var requests = new RequestCounter();
        // Points expire after a month here, so that members with points expiring soon are not dormant too.
        await using var host = await OutreachHost.StartAsync(azurite, Night, programFile: "program.monthly.json", services: requests.AddTo);
        var jobs = host.App.Service<Loyalty.Functions.Jobs.NightlyJobs>();
        static (int Acted, int Looked) Plan(PlanRun run) => (run.Planned, run.Looked);
        static (int Acted, int Looked) Job(Loyalty.Functions.Jobs.JobRun run) => (run.Changed, run.Looked);
        var runs = new (string Name, Func<Task<(int Acted, int Looked)>> Run, Func<Task> AddDue, int PerDue)[]
        {
            ("BirthdayGreetings", async () => Plan(await host.Planner.BirthdaysAsync(CancellationToken.None)),
                async () => await host.EnrollAsync(OutreachHost.Member("Asia/Shanghai", "--11-24")), 7),
            ("ExpiryWarnings", async () => Plan(await host.Planner.ExpiryWarningsAsync(CancellationToken.None)), async () =>
            {
                var id = await host.EnrollAsync(OutreachHost.Member("Asia/Shanghai"));
                await host.BuyAsync(id, Night.AddDays(-20));
            }, 7),
            ("WinBack", async () => Plan(await host.Planner.WinBackAsync(CancellationToken.None)),
                async () => await host.BuyAsync(await host.EnrollAsync(OutreachHost.Member("Asia/Shanghai")), Night.AddDays(-100)), 7),

            ("ExpirePoints", async () => Job(await jobs.ExpirePointsAsync(CancellationToken.None)), () => AddExpiredAsync(azurite.Tables), 7),
        };

        await SeedNotDueAsync(azurite.Tables, 0, Members, memberRows: true);
        var few = await MeasureAsync(runs, requests, Members);
        var seeding = System.Diagnostics.Stopwatch.StartNew();
        await SeedNotDueAsync(azurite.Tables, Members, ManyMembers, memberRows: false);
        var many = await MeasureAsync(runs, requests, ManyMembers);
        var report = few.Concat(many).Select(r => r.Report).Append($"seeding {ManyMembers - Members} more members' hints: {seeding.Elapsed.TotalSeconds:F0} s").ToList();
        TestContext.Current.TestOutputHelper?.WriteLine(string.Join(Environment.NewLine, report));
        Console.WriteLine(string.Join(Environment.NewLine, report));

        foreach (var (small, large) in few.Zip(many))
        {
            Assert.InRange(large.First, small.First * 0.9, small.First * 1.1);
            Assert.InRange(large.More, small.More * 0.9, small.More * 1.1);
            Assert.InRange(large.Again, 1, 6);
        }

        Assert.Equal(3 * 2 * 2 * Due, (await host.QueuedAsync()).All);
    }

    /// <summary>For each planner and job: a run that clears what earlier rounds left due, then 20 due members and a run, the
    /// same run again (nobody due), 20 more and a run.</summary>
    private static async Task<List<(int First, int Again, int More, string Report)>> MeasureAsync(
        IEnumerable<(string Name, Func<Task<(int Acted, int Looked)>> Run, Func<Task> AddDue, int PerDue)> runs, RequestCounter requests, int members)
    {
        var counts = new List<(int, int, int, string)>();
        foreach (var (name, run, addDue, perDue) in runs)
        {
            await run();
            await AddAsync(addDue, Due);
            var (first, firstRun) = await CountAsync(requests, run);
            var (again, againRun) = await CountAsync(requests, run);
            await AddAsync(addDue, Due);
            var (more, moreRun) = await CountAsync(requests, run);

            Assert.True((firstRun.Acted, againRun.Acted, moreRun.Acted) == (Due, 0, Due), $"{name}: acted on {firstRun}, {againRun}, {moreRun}");
            Assert.Equal(0, againRun.Looked);

            // Per due member: read it, add its row, enqueue its job, note the job on the row, mark its hint (about 5);
            // a job reads it, commits and removes its hint; plus the index queries. Nothing per member that is not due.
            Assert.InRange(first, Due, perDue * Due);
            Assert.InRange(again, 1, 6);
            Assert.InRange(more, first - 6, first + 6);
            counts.Add((first, again, more, $"{name}: {first} requests for {Due} due of {members:N0}, {again} when run again with nobody due, {more} for {Due} more due"));
        }

        return counts;
    }

    /// <summary>A member whose points expired three days ago, written directly: a purchase back-dated that far earns no
    /// lot that is still to expire.</summary>
    private static async Task AddExpiredAsync(TableServiceClient tables)
    {
        var id = MemberId.Parse(A.Id("due"));
        var earned = Night.AddMonths(-2);
        var expires = Today.AddDays(-3);
        var account = new Account
        {
            EnrolledAt = earned,
            Lifetime = new Points(100),
            LastSeq = 1,
            PurchaseCount = 1,
            LastPurchaseAt = earned,
            Lots = [new Lot(expires, new Points(100))],
        };
        var member = new StoredMember(id, new MemberProfile { FirstName = "Due", TimeZone = "Asia/Shanghai" }, account, default);
        await tables.GetTableClient(Tables.Members).SubmitTransactionAsync(
        [
            new TableTransactionAction(TableTransactionActionType.Add, MemberRows.ToRow(member, earned)),
            new TableTransactionAction(TableTransactionActionType.Add, MemberRows.ToRow(id, new LedgerEntry(1, LedgerKind.Earn, new Points(100), new Points(100), earned, earned, "p-due", null))),
        ]);
        await tables.GetTableClient(Tables.LotExpiry).AddEntityAsync(new TableEntity(MemberIndexes.DayKey(expires), id.Value));
    }

    private static async Task AddAsync(Func<Task> addDue, int count)
    {
        for (var i = 0; i < count; i++)
        {
            await addDue();
        }
    }

    private static async Task<(int Requests, (int Acted, int Looked) Run)> CountAsync(RequestCounter requests, Func<Task<(int Acted, int Looked)>> run)
    {
        requests.Reset();
        var result = await run();
        return (requests.Count, result);
    }

    /// <summary>Members <paramref name="from"/> to <paramref name="to"/> (exclusive) with a birthday, a recent last purchase
    /// and points expiring in 1-11 months: hints in partitions no planner or job reads today, written directly in batches
    /// per partition to keep the test fast. Their member rows too when <paramref name="memberRows"/>: a row per partition
    /// cannot be batched, and no run reads the row of a member who is not due (if one did, the read would be counted
    /// whether the row exists or not).</summary>
    private static async Task SeedNotDueAsync(TableServiceClient tables, int from, int to, bool memberRows)
    {
        var hints = new Dictionary<(string Table, string Partition), List<string>>();
        void Hint(string table, string partition, string id)
        {
            if (!hints.TryGetValue((table, partition), out var ids))
            {
                hints[(table, partition)] = ids = [];
            }

            ids.Add(id);
        }

        var rows = new List<TableEntity>(to - from);
        for (var i = from; i < to; i++)
        {
            var id = MemberId.Parse($"seed-{i:D6}");
            var birthday = Today.AddDays(10 + (i % 300));
            var lastPurchase = Today.AddDays(-(5 + (i % 80)));
            var expires = Today.AddDays(40 + (i % 300));
            Assert.True(Birthday.TryParse($"--{birthday:MM-dd}", out var b));
            var profile = new MemberProfile { FirstName = "Seed", Phone = $"+1206{i + 2_000_000:D7}", Birthday = b, TimeZone = "Asia/Shanghai", SmsOptIn = true };
            var account = new Account
            {
                EnrolledAt = Night.AddYears(-1),
                LastPurchaseAt = new DateTimeOffset(lastPurchase.ToDateTime(new TimeOnly(12, 0)), TimeSpan.Zero),
                PurchaseCount = 1,
                Lots = [new Lot(expires, new Points(100))],
            };
            if (memberRows)
            {
                rows.Add(MemberRows.ToRow(new StoredMember(id, profile, account, default), Night.AddDays(-1)));
            }

            Hint(Tables.Birthdays, b.MonthDay, id.Value);
            Hint(Tables.LastPurchase, MemberIndexes.DayKey(lastPurchase), id.Value);
            Hint(Tables.LotExpiry, MemberIndexes.DayKey(expires), id.Value);
        }

        var members = tables.GetTableClient(Tables.Members);
        // Upserts: a request the client retries after a timeout (the machine is busy) writes the same rows again.
        await Parallel.ForEachAsync(rows, new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (row, ct) => await members.UpsertEntityAsync(row, TableUpdateMode.Replace, ct));
        var batches = hints.SelectMany(h => h.Value.Chunk(100).Select(ids => (h.Key.Table, h.Key.Partition, Ids: ids)));
        await Parallel.ForEachAsync(batches, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (batch, ct) =>
            await tables.GetTableClient(batch.Table).SubmitTransactionAsync(
                batch.Ids.Select(id => new TableTransactionAction(TableTransactionActionType.UpsertReplace, new TableEntity(batch.Partition, id))), ct));
    }

}
