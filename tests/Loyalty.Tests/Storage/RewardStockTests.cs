using Azure.Data.Tables;
using Loyalty.Adapters.Storage;
using Loyalty.Domain;
using Loyalty.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Loyalty.Tests.Storage;

/// <summary>Reward stock on a real Azurite: never more units held than the stock, even from several instances at once;
/// reservations are leases that are taken over, released, returned and reconciled exactly once.</summary>
public sealed class RewardStockTests(Azurite azurite) : IAsyncLifetime
{
    private readonly FakeTimeProvider time = new(A.Now);
    private readonly string reward = A.Id("reward");

    private TableClient Table => azurite.Tables.GetTableClient(Tables.Rewards);

    public async ValueTask InitializeAsync() => await azurite.Tables.CreateTableIfNotExistsAsync(Tables.Rewards);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private RewardStock NewInstance(int seed = 1) => new(azurite.Tables, time, new Contention(new Random(seed), maxDelayMilliseconds: 200));

    private static (MemberId Member, OperationId Redemption) ARedemption() => (MemberId.Parse(A.Id("m")), OperationId.Parse(A.Id("r")));

    private async Task<string?> StatusOf((MemberId Member, OperationId Redemption) r)
    {
        var row = await Table.GetEntityIfExistsAsync<TableEntity>(reward, RewardStock.ReservationRowKey(r.Member, r.Redemption));
        return row.HasValue ? row.Value!.GetString("Status") : null;
    }

    [Fact]
    public async Task ThreeInstancesReservingInParallel_NeverHoldMoreUnitsThanTheStock()
    {
        RewardStock[] instances = [NewInstance(1), NewInstance(2), NewInstance(3)];
        var redemptions = Enumerable.Range(0, 24).Select(_ => ARedemption()).ToList();

        var outcomes = await Task.WhenAll(redemptions.Select((r, i) =>
            instances[i % instances.Length].ReserveAsync(reward, 5, r.Member, r.Redemption, CancellationToken.None)));

        Assert.Equal(5, outcomes.Count(o => o.Outcome == ReserveOutcome.Reserved));
        Assert.Equal(19, outcomes.Count(o => o.Outcome == ReserveOutcome.OutOfStock));
        Assert.Equal(5, await instances[0].TakenAsync(reward, CancellationToken.None));
        var statuses = await Task.WhenAll(redemptions.Select(StatusOf));
        Assert.Equal(5, statuses.Count(s => s == "pending"));
    }

    [Fact]
    public async Task Reserve_SameRedemptionAgainWithinItsLease_IsInProgressAndHoldsOneUnit()
    {
        var stock = NewInstance();
        var r = ARedemption();

        var first = await stock.ReserveAsync(reward, 5, r.Member, r.Redemption, CancellationToken.None);
        var second = await stock.ReserveAsync(reward, 5, r.Member, r.Redemption, CancellationToken.None);

        Assert.Equal((ReserveOutcome.Reserved, ReserveOutcome.InProgress), (first.Outcome, second.Outcome));
        Assert.Equal(1, await stock.TakenAsync(reward, CancellationToken.None));
    }

    [Fact]
    public async Task Reserve_AfterTheLeaseEnded_TakesTheUnitOverWithoutTakingAnother()
    {
        var stock = NewInstance();
        var r = ARedemption();
        var first = await stock.ReserveAsync(reward, 5, r.Member, r.Redemption, CancellationToken.None);
        time.Advance(RewardStock.Lease + TimeSpan.FromSeconds(1));

        var retry = await stock.ReserveAsync(reward, 5, r.Member, r.Redemption, CancellationToken.None);

        Assert.Equal(ReserveOutcome.Reserved, retry.Outcome);
        Assert.NotEqual(first.Holder, retry.Holder);
        Assert.Equal(time.GetUtcNow(), retry.ReservedAt);
        Assert.Equal(1, await stock.TakenAsync(reward, CancellationToken.None));
        Assert.False(await stock.ReleaseAsync(reward, r.Member, r.Redemption, first.Holder!, CancellationToken.None), "the old attempt no longer holds it");
        Assert.Equal("pending", await StatusOf(r));
    }

    [Fact]
    public async Task Release_ByTheHolder_FreesTheUnitAndForgetsTheReservation()
    {
        var stock = NewInstance();
        var r = ARedemption();
        var held = await stock.ReserveAsync(reward, 1, r.Member, r.Redemption, CancellationToken.None);

        var released = await stock.ReleaseAsync(reward, r.Member, r.Redemption, held.Holder!, CancellationToken.None);
        var again = await stock.ReleaseAsync(reward, r.Member, r.Redemption, held.Holder!, CancellationToken.None);

        Assert.Equal((true, false), (released, again));
        Assert.Equal(0, await stock.TakenAsync(reward, CancellationToken.None));
        Assert.Null(await StatusOf(r));
        var other = ARedemption();
        Assert.Equal(ReserveOutcome.Reserved, (await stock.ReserveAsync(reward, 1, other.Member, other.Redemption, CancellationToken.None)).Outcome);
    }

    [Fact]
    public async Task Release_OfAConfirmedReservation_FreesNothing()
    {
        var stock = NewInstance();
        var r = ARedemption();
        var held = await stock.ReserveAsync(reward, 1, r.Member, r.Redemption, CancellationToken.None);
        Assert.True(await stock.ConfirmAsync(reward, r.Member, r.Redemption, CancellationToken.None));

        var released = await stock.ReleaseAsync(reward, r.Member, r.Redemption, held.Holder!, CancellationToken.None);

        Assert.False(released);
        Assert.Equal(1, await stock.TakenAsync(reward, CancellationToken.None));
        Assert.Equal("confirmed", await StatusOf(r));
    }

    [Fact]
    public async Task Return_Twice_ReturnsOneUnit_AndTheRedemptionCanNeverReserveAgain()
    {
        var stock = NewInstance();
        var r = ARedemption();
        await stock.ReserveAsync(reward, 1, r.Member, r.Redemption, CancellationToken.None);
        await stock.ConfirmAsync(reward, r.Member, r.Redemption, CancellationToken.None);

        var first = await stock.ReturnAsync(reward, r.Member, r.Redemption, CancellationToken.None);
        var second = await stock.ReturnAsync(reward, r.Member, r.Redemption, CancellationToken.None);
        var reserveAgain = await stock.ReserveAsync(reward, 1, r.Member, r.Redemption, CancellationToken.None);

        Assert.Equal((true, false), (first, second));
        Assert.Equal(ReserveOutcome.Settled, reserveAgain.Outcome);
        Assert.Equal(0, await stock.TakenAsync(reward, CancellationToken.None));
        Assert.Equal("cancelled", await StatusOf(r));
    }

    [Fact]
    public async Task Reconcile_SettlesOnlyStaleReservations_FromWhatTheMemberPartitionSays()
    {
        var stock = NewInstance();
        var (crashed, committed, cancelled, fresh) = (ARedemption(), ARedemption(), ARedemption(), ARedemption());
        foreach (var r in new[] { crashed, committed, cancelled })
        {
            await stock.ReserveAsync(reward, 10, r.Member, r.Redemption, CancellationToken.None);
        }

        time.Advance(RewardStock.Lease + TimeSpan.FromSeconds(1));
        await stock.ReserveAsync(reward, 10, fresh.Member, fresh.Redemption, CancellationToken.None);
        var asked = new List<OperationId>();

        var freed = await stock.ReconcileAsync(reward, (_, redemption, _) =>
        {
            asked.Add(redemption);
            return Task.FromResult(
                redemption == committed.Redemption ? RedemptionFate.Redeemed
                : redemption == cancelled.Redemption ? RedemptionFate.Cancelled
                : RedemptionFate.NotRedeemed);
        }, CancellationToken.None);

        Assert.Equal(2, freed);
        Assert.Equal(
            new[] { crashed.Redemption, committed.Redemption, cancelled.Redemption }.Select(r => r.Value).Order(StringComparer.Ordinal),
            asked.Select(r => r.Value).Order(StringComparer.Ordinal));
        Assert.Equal(
            ((string?)null, "confirmed", "cancelled", "pending"),
            (await StatusOf(crashed), await StatusOf(committed), await StatusOf(cancelled), await StatusOf(fresh)));
        Assert.Equal(2, await stock.TakenAsync(reward, CancellationToken.None));
    }

    [Fact]
    public async Task Reconcile_RunsAtMostOncePerIntervalPerReward()
    {
        var stock = NewInstance();
        var (first, second) = (ARedemption(), ARedemption());
        static Task<RedemptionFate> NeverRedeemed(MemberId m, OperationId o, CancellationToken ct) => Task.FromResult(RedemptionFate.NotRedeemed);
        await stock.ReserveAsync(reward, 5, first.Member, first.Redemption, CancellationToken.None);
        time.Advance(TimeSpan.FromSeconds(30));
        await stock.ReserveAsync(reward, 5, second.Member, second.Redemption, CancellationToken.None);
        time.Advance(RewardStock.Lease - TimeSpan.FromSeconds(29));

        var onlyFirstStale = await stock.ReconcileAsync(reward, NeverRedeemed, CancellationToken.None);
        time.Advance(TimeSpan.FromSeconds(30));
        var secondStaleButTooSoon = await stock.ReconcileAsync(reward, NeverRedeemed, CancellationToken.None);
        time.Advance(RewardStock.ReconcileEvery);
        var secondStale = await stock.ReconcileAsync(reward, NeverRedeemed, CancellationToken.None);

        Assert.Equal((1, 0, 1), (onlyFirstStale, secondStaleButTooSoon, secondStale));
        Assert.Equal(0, await stock.TakenAsync(reward, CancellationToken.None));
    }
}
