using System.Net;
using Loyalty.Adapters.Storage;
using Loyalty.Domain;
using Loyalty.Domain.Operations;
using Loyalty.Domain.Outreach;
using Loyalty.Tests.Infrastructure;

namespace Loyalty.Tests.Outreach;

/// <summary>The thank-you and the voucher notice are planned in the purchase's own transaction, on a private Azurite with
/// the fake ACS: the outbox row exists as soon as the purchase does, whether or not anything runs after the commit; a
/// replay plans nothing again and a refused or conflicting purchase plans nothing; a send job lost to a crash after the
/// commit is enqueued by <c>ReconcileOutreach</c>, and the message goes out once.</summary>
public sealed class TransactionalPlanningTests(PrivateAzurite azurite) : IClassFixture<PrivateAzurite>, IAsyncLifetime
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    private OutreachHost host = null!;

    public async ValueTask InitializeAsync() => host = await OutreachHost.StartAsync(azurite, Now, programFile: "program.consent.json");

    public ValueTask DisposeAsync() => host.DisposeAsync();

    private MemberStore Store => host.App.Service<MemberStore>();

    private static Purchase Purchase(string member, string id, decimal amount) =>
        new(OperationId.Parse(id), MemberId.Parse(member), new Money(amount, Currency.Parse("USD")), Now.AddMinutes(-5), null, []);

    [Fact]
    public async Task TheMessages_AreInThePurchasesTransaction_AndAreSentOnce_WhenTheStepAfterTheCommitNeverRan()
    {
        var member = OutreachHost.Member() with { SmsOptIn = false, SmsTransactional = true };
        var id = await host.EnrollAsync(member);
        var purchase = Purchase(id, A.Id("p"), 300m);

        // The commit path alone: what the recorder does after the commit (enqueueing the send jobs) never runs, as when
        // the app stops right after the transaction.
        var first = await Store.RunAsync(new RecordPurchase(purchase), CancellationToken.None);
        var code = Assert.Single(first.Value!.Vouchers).Code;
        var thanks = await host.RowAsync(id, Campaign.ThankYou, purchase.PurchaseId.Value);
        var notice = await host.RowAsync(id, Campaign.VoucherIssued, code);
        var replay = await Store.RunAsync(new RecordPurchase(purchase), CancellationToken.None);

        Assert.Equal(OperationStatus.Created, first.Status);
        Assert.Equal((MessageStatus.Planned, false, 300L), (thanks.Status, thanks.Enqueued, thanks.Earned));
        Assert.Equal((MessageStatus.Planned, false), (notice.Status, notice.Enqueued));
        Assert.Equal(2, first.Planned.Count);
        Assert.Equal(OperationStatus.Replayed, replay.Status);
        Assert.Empty(replay.Planned);
        Assert.Equal(0, (await host.QueuedAsync()).All);

        // Too young to tell from a plan whose enqueue is under way: left. Later: enqueued, sent once each.
        Assert.Contains("left for the next run 2", await ReconcileAsync(), StringComparison.Ordinal);
        host.Clock.Advance(OutreachPlannerGrace);
        Assert.Contains("send jobs enqueued again 2", await ReconcileAsync(), StringComparison.Ordinal);
        await host.DeliverDueAsync();
        await host.DeliverDueAsync();

        var sent = host.Acs.Sent.Where(s => s.To == member.Phone).Select(s => s.Message).ToList();
        Assert.Equal(2, sent.Count);
        Assert.Contains(sent, m => m.StartsWith("Thanks for your purchase, Alice! You earned 300", StringComparison.Ordinal));
        Assert.Contains(sent, m => m.StartsWith("Good news, Alice: your $5 voucher", StringComparison.Ordinal));
        Assert.Contains("looked at 0 messages", await ReconcileAsync(), StringComparison.Ordinal);
        Assert.Equal(2, (await host.MessagesAsync(id)).Count(m => m.Campaign is "thank-you" or "voucher-issued"));
    }

    [Fact]
    public async Task APurchaseThroughTheApi_EnqueuesItsMessages_AndLeavesNothingForTheReconciliation()
    {
        var member = OutreachHost.Member() with { SmsOptIn = false, SmsTransactional = true };
        var id = await host.EnrollAsync(member);

        await host.BuyAsync(id, Now.AddMinutes(-1), 20m);

        Assert.Equal(1, (await host.QueuedAsync()).Visible);
        Assert.Contains("looked at 0 messages", await ReconcileAsync(), StringComparison.Ordinal);
        await host.DeliverDueAsync();
        Assert.Single(host.Acs.Sent, s => s.To == member.Phone);
    }

    [Fact]
    public async Task ARefusedOrConflictingPurchase_PlansNothing_AndAnOldOneNeitherThanksNorNotifies()
    {
        var erased = await host.EnrollAsync(OutreachHost.Member() with { SmsOptIn = false, SmsTransactional = true });
        await Store.EraseAsync(MemberId.Parse(erased), CancellationToken.None);
        var member = await host.EnrollAsync(OutreachHost.Member() with { SmsOptIn = false, SmsTransactional = true });
        var purchase = Purchase(member, A.Id("p"), 20m);
        await Store.RunAsync(new RecordPurchase(purchase), CancellationToken.None);

        var refused = await Store.RunAsync(new RecordPurchase(Purchase(erased, A.Id("p"), 20m)), CancellationToken.None);
        var conflict = await Store.RunAsync(new RecordPurchase(purchase with { Amount = new Money(21m, Currency.Parse("USD")) }), CancellationToken.None);
        var old = await Store.RunAsync(new RecordPurchase(Purchase(member, A.Id("p"), 300m) with { OccurredAt = Now.AddDays(-3) }), CancellationToken.None);

        Assert.Equal((OperationStatus.Refused, OperationStatus.Conflict, OperationStatus.Created), (refused.Status, conflict.Status, old.Status));
        Assert.Empty(refused.Planned);
        Assert.Empty(conflict.Planned);
        Assert.Single(old.Value!.Vouchers);
        Assert.Empty(old.Planned);
        Assert.Empty(await host.App.Service<Outbox>().ListAsync(MemberId.Parse(erased), CancellationToken.None));
        Assert.Single(await host.App.Service<Outbox>().ListAsync(MemberId.Parse(member), CancellationToken.None));
    }

    private static TimeSpan OutreachPlannerGrace => Loyalty.Functions.Outreach.OutreachPlanner.EnqueueGrace + TimeSpan.FromSeconds(1);

    private async Task<string> ReconcileAsync()
    {
        using var response = await host.Client.PostJsonAsync("/ReconcileOutreach", Fixtures.Load("Functions/timer.json").ToJsonString());
        return (await response.ReadInvocationResultAsync(HttpStatusCode.OK))[0];
    }
}
