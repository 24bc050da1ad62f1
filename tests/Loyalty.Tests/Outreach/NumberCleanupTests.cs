using Azure.Core;
using Azure.Data.Tables;
using Loyalty.Adapters.Storage;
using Loyalty.Domain;
using Loyalty.Domain.Outreach;
using Loyalty.Functions.Jobs;
using Loyalty.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Loyalty.Tests.Outreach;

/// <summary>The nightly cleanup of the replies to numbers no member has (<c>CleanEvents</c>, <see cref="NightlyJobs.CleanNumbersAsync"/>)
/// on a private Azurite: a run stops after <see cref="NightlyJobs.NumberRowsPerRun"/> rows and the next run goes on, and a
/// partition whose delete fails is reported and left for the next run while the others are deleted.</summary>
public sealed class NumberCleanupTests(PrivateAzurite azurite) : IClassFixture<PrivateAzurite>
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task ARun_DeletesAtMostTheBound_AndTheNextRunDeletesTheRest()
    {
        await using var host = await OutreachHost.StartAsync(azurite, Now);
        var partitions = NightlyJobs.NumberRowsPerRun / 100 + 1;
        await AddOldRepliesAsync(partitions, 100);

        var first = await host.App.Service<NightlyJobs>().CleanNumbersAsync(CancellationToken.None);
        var left = await CountAsync();
        var second = await host.App.Service<NightlyJobs>().CleanNumbersAsync(CancellationToken.None);
        var third = await host.App.Service<NightlyJobs>().CleanNumbersAsync(CancellationToken.None);

        Assert.Equal((partitions - 1, partitions - 1, 0), (first.Looked, first.Changed, first.Failed.Count));
        Assert.Equal(100, left);
        Assert.Equal((1, 1, 0), (second.Looked, second.Changed, second.Failed.Count));
        Assert.Equal(0, await CountAsync());
        Assert.Equal((0, 0), (third.Looked, third.Changed));
    }

    [Fact]
    public async Task APartitionWhoseDeleteFails_IsReported_TheOthersAreDeleted_AndTheNextRunDeletesIt()
    {
        var failing = new BatchFault();
        await using var host = await OutreachHost.StartAsync(
            azurite, Now, services: s => s.Replace(ServiceDescriptor.Singleton(azurite.Account.CreateTableServiceClient(failing.Options()))));
        await AddOldRepliesAsync(3, 5);

        failing.Armed = true;
        var first = await host.App.Service<NightlyJobs>().CleanNumbersAsync(CancellationToken.None);
        var left = await CountAsync();
        var second = await host.App.Service<NightlyJobs>().CleanNumbersAsync(CancellationToken.None);

        Assert.Equal((3, 2), (first.Looked, first.Changed));
        Assert.Equal([Partition(0)], first.Failed);
        Assert.Equal(5, left);
        Assert.Equal((1, 1, 0), (second.Looked, second.Changed, second.Failed.Count));
        Assert.Equal(0, await CountAsync());
    }

    private static string Partition(int i) => $"{Outbox.NumberPrefix}cleanup-{i:D4}";

    /// <summary>Replies with a final status, planned a month ago (past the 7 days' retention), <paramref name="each"/>
    /// in each of <paramref name="partitions"/> numbers' partitions, written 100 to a transaction.</summary>
    private async Task AddOldRepliesAsync(int partitions, int each)
    {
        var table = azurite.Tables.GetTableClient(Tables.Members);
        for (var p = 0; p < partitions; p++)
        {
            var member = MemberId.Parse(Partition(p));
            await table.SubmitTransactionAsync(Enumerable.Range(0, each).Select(i => new TableTransactionAction(TableTransactionActionType.Add,
                new TableEntity(member.Value, Outbox.RowKeyOf(new OutboxKey(member, Campaign.StrangerHelp, $"Incoming_{i}")))
                {
                    ["Status"] = MessageStatus.Sent,
                    ["PlannedAt"] = Now.AddDays(-30),
                })));
        }
    }

    private async Task<int> CountAsync()
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey ge {Outbox.NumberPrefix} and PartitionKey lt {"number."}");
        return await azurite.Tables.GetTableClient(Tables.Members).QueryAsync<TableEntity>(filter, select: ["RowKey"]).CountAsync();
    }
}
