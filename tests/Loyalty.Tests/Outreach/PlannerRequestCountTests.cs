using System.Collections.Immutable;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Loyalty.Adapters.Storage;
using Loyalty.Domain;
using Loyalty.Domain.Ledger;
using Loyalty.Domain.Members;
using Loyalty.Functions.Outreach;
using Loyalty.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Loyalty.Tests.Outreach;

/// <summary>Planners read what is due, not the member base: with 5,000 members of whom 20 are due for each campaign,
/// every storage request the app makes during a run is counted (an Azure.Core pipeline policy on its Table and Queue
/// clients), and the count follows the due members. Seeding 5,000 members is heavy for two cores, so it runs alone,
/// not beside tests that race for ETags.</summary>
[Collection(typeof(RunsAlone))]
public sealed class PlannerRequestCountTests(PrivateAzurite azurite) : IClassFixture<PrivateAzurite>
{
    private const int Members = 5_000;
    private const int Due = 20;

    /// <summary>10:00 in Shanghai: every due member's window is open, so each plan is complete in one run.</summary>
    private static readonly DateTimeOffset Night = new(2026, 11, 24, 2, 0, 0, TimeSpan.Zero);

    private static readonly DateOnly Today = DateOnly.FromDateTime(Night.UtcDateTime);

    [Fact]
    public async Task Planners_With5000MembersOf20Due_MakeRequestsThatGrowWithTheDueMembersOnly()
    {
        var requests = new RequestCounter();
        // Points expire after a month here, so that members with points expiring soon are not dormant too.
        await using var host = await OutreachHost.StartAsync(azurite, Night, programFile: "program.monthly.json", services: s => CountRequests(s, requests));
        await SeedNotDueAsync(azurite.Tables);
        var planners = new (string Name, Func<Task<PlanRun>> Run, Func<Task> AddDue)[]
        {
            ("BirthdayGreetings", () => host.Planner.BirthdaysAsync(CancellationToken.None),
                async () => await host.EnrollAsync(OutreachHost.Member("Asia/Shanghai", "--11-24"))),
            ("ExpiryWarnings", () => host.Planner.ExpiryWarningsAsync(CancellationToken.None), async () =>
            {
                var id = await host.EnrollAsync(OutreachHost.Member("Asia/Shanghai"));
                await host.BuyAsync(id, Night.AddDays(-20));
            }),
            ("WinBack", () => host.Planner.WinBackAsync(CancellationToken.None),
                async () => await host.BuyAsync(await host.EnrollAsync(OutreachHost.Member("Asia/Shanghai")), Night.AddDays(-100))),
        };

        var report = new List<string>();
        foreach (var (name, run, addDue) in planners)
        {
            await AddAsync(addDue, Due);
            var (first, firstRun) = await CountAsync(requests, run);
            var (again, againRun) = await CountAsync(requests, run);
            await AddAsync(addDue, Due);
            var (more, moreRun) = await CountAsync(requests, run);
            report.Add($"{name}: {first} requests for {Due} due of {Members}, {again} when run again, {more} for {Due} more due");

            Assert.Equal((Due, 0, Due), (firstRun.Planned, againRun.Planned, moreRun.Planned));
            Assert.Equal(0, againRun.Looked);

            // Per due member: read it, add its row, enqueue its job, note the job on the row, mark its hint (about 5);
            // plus the index queries. Nothing per member that is not due.
            Assert.InRange(first, 4 * Due, 7 * Due);
            Assert.InRange(again, 1, 6);
            Assert.InRange(more, first - 6, first + 6);
        }

        TestContext.Current.TestOutputHelper?.WriteLine(string.Join(Environment.NewLine, report));
        Console.WriteLine(string.Join(Environment.NewLine, report));
        Assert.Equal(3 * 2 * Due, (await host.QueuedAsync()).All);
    }

    private static async Task AddAsync(Func<Task> addDue, int count)
    {
        for (var i = 0; i < count; i++)
        {
            await addDue();
        }
    }

    private static async Task<(int Requests, PlanRun Run)> CountAsync(RequestCounter requests, Func<Task<PlanRun>> run)
    {
        requests.Reset();
        var result = await run();
        return (requests.Count, result);
    }

    /// <summary>5,000 members with a birthday, a recent last purchase and points expiring in 1-11 months: hints in
    /// partitions no planner reads today. Written directly, in batches per partition, to keep the test fast.</summary>
    private static async Task SeedNotDueAsync(TableServiceClient tables)
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

        var rows = new List<TableEntity>(Members);
        for (var i = 0; i < Members; i++)
        {
            var id = MemberId.Parse($"seed-{i:D5}");
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
            rows.Add(MemberRows.ToRow(new StoredMember(id, profile, account, default), Night.AddDays(-1)));
            Hint(Tables.Birthdays, b.MonthDay, id.Value);
            Hint(Tables.LastPurchase, MemberIndexes.DayKey(lastPurchase), id.Value);
            Hint(Tables.LotExpiry, MemberIndexes.DayKey(expires), id.Value);
        }

        var members = tables.GetTableClient(Tables.Members);
        await Parallel.ForEachAsync(rows, new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (row, ct) => await members.AddEntityAsync(row, ct));
        var batches = hints.SelectMany(h => h.Value.Chunk(100).Select(ids => (h.Key.Table, h.Key.Partition, Ids: ids)));
        await Parallel.ForEachAsync(batches, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (batch, ct) =>
            await tables.GetTableClient(batch.Table).SubmitTransactionAsync(
                batch.Ids.Select(id => new TableTransactionAction(TableTransactionActionType.Add, new TableEntity(batch.Partition, id))), ct));
    }

    private static void CountRequests(IServiceCollection services, RequestCounter requests)
    {
        services.Replace(ServiceDescriptor.Singleton(sp =>
        {
            var options = StorageAccount.DefaultTableOptions();
            options.AddPolicy(requests, HttpPipelinePosition.PerRetry);
            return sp.GetRequiredService<StorageAccount>().CreateTableServiceClient(options);
        }));
        services.Replace(ServiceDescriptor.Singleton(sp =>
        {
            var options = new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 };
            options.AddPolicy(requests, HttpPipelinePosition.PerRetry);
            return sp.GetRequiredService<StorageAccount>().CreateQueueServiceClient(options);
        }));
    }

    /// <summary>Counts every HTTP request (each retry too) that goes through the clients it is added to.</summary>
    private sealed class RequestCounter : HttpPipelinePolicy
    {
        private int count;

        public int Count => Volatile.Read(ref count);

        public void Reset() => Interlocked.Exchange(ref count, 0);

        public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
        {
            Interlocked.Increment(ref count);
            ProcessNext(message, pipeline);
        }

        public override ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
        {
            Interlocked.Increment(ref count);
            return ProcessNextAsync(message, pipeline);
        }
    }
}
