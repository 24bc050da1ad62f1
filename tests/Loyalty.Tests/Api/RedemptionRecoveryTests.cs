using System.Net;
using Azure.Data.Tables;
using Loyalty.Domain.Operations;
using Loyalty.Adapters.Storage;
using Loyalty.Domain;
using Loyalty.Tests.Infrastructure;

namespace Loyalty.Tests.Api;

/// <summary>A redemption of a limited reward is a reservation, then the member transaction, then a confirmation. These
/// tests leave the state a crash between the steps would leave, and check that it heals without selling a unit twice or
/// spending points twice. Each test runs its own app, because it moves the clock.</summary>
public sealed class RedemptionRecoveryTests(Azurite azurite)
{
    private static readonly TimeSpan PastTheLease = RewardStock.Lease + TimeSpan.FromSeconds(1);

    private static async Task<RewardsFixture> StartAsync(Azurite azurite)
    {
        var fixture = new RewardsFixture(azurite);
        await fixture.InitializeAsync();
        return fixture;
    }

    /// <summary>What an attempt that crashed right after reserving leaves behind.</summary>
    private static Task<Reservation> CrashAfterReservingAsync(RewardsFixture fx, string rewardId, string member, string redemptionId) =>
        fx.App.Service<RewardStock>().ReserveAsync(rewardId, 1, MemberId.Parse(member), OperationId.Parse(redemptionId), CancellationToken.None);

    /// <summary>What an attempt that crashed after its member transaction, before confirming, leaves behind.</summary>
    private static async Task UndoConfirmationAsync(RewardsFixture fx, string rewardId, string member, string redemptionId)
    {
        var entity = new TableEntity(rewardId, $"r|{member}|{redemptionId}") { ["Status"] = "pending" };
        await fx.RewardsTable.UpdateEntityAsync(entity, Azure.ETag.All, TableUpdateMode.Merge);
    }

    private static async Task<string?> ReservationStatusAsync(RewardsFixture fx, string rewardId, string member) =>
        (await fx.ReservationsAsync(rewardId, member)).SingleOrDefault()?.GetString("Status");

    [Fact]
    public async Task ReservationLeftWithoutRedemption_HoldsTheUnitUntilItsLeaseEnds_ThenIsFreedForOthers()
    {
        await using var fx = await StartAsync(azurite);
        var tote = fx.Limited("tote");
        var crashed = await fx.EnrollAsync();
        var other = await fx.EnrollAsync();
        await fx.EarnAsync(other, 100);
        await CrashAfterReservingAsync(fx, tote, crashed, "r-crashed");

        using var whileHeld = await fx.RedeemAsync(other, tote);
        fx.Time.Advance(PastTheLease);
        using var afterLease = await fx.RedeemAsync(other, tote);

        Assert.Equal("/problems/out-of-stock", (await whileHeld.ReadProblemAsync()).Type);
        Assert.Equal(HttpStatusCode.Created, afterLease.StatusCode);
        Assert.Empty(await fx.ReservationsAsync(tote, crashed));
        Assert.Equal("confirmed", await ReservationStatusAsync(fx, tote, other));
        Assert.Equal(1, await fx.TakenAsync(tote));
        Assert.Equal(50, (await fx.GetMemberAsync(other)).Points.Balance);
    }

    [Fact]
    public async Task RetryOfAnAttemptThatCrashedAfterReserving_IsInProgressUntilTheLeaseEnds_ThenCompletes()
    {
        await using var fx = await StartAsync(azurite);
        var tote = fx.Limited("tote");
        var member = await fx.EnrollAsync();
        await fx.EarnAsync(member, 100);
        await CrashAfterReservingAsync(fx, tote, member, $"{member}-r1");

        using var tooSoon = await fx.RedeemAsync(member, tote, $"{member}-r1");
        fx.Time.Advance(PastTheLease);
        using var retried = await fx.RedeemAsync(member, tote, $"{member}-r1");

        Assert.Equal(HttpStatusCode.Conflict, tooSoon.StatusCode);
        Assert.Equal("/problems/redemption-in-progress", (await tooSoon.ReadProblemAsync()).Type);
        Assert.NotNull(tooSoon.Headers.RetryAfter);
        Assert.Equal(HttpStatusCode.Created, retried.StatusCode);
        Assert.Equal(50, (await fx.GetMemberAsync(member)).Points.Balance);
        Assert.Equal("confirmed", await ReservationStatusAsync(fx, tote, member));
        Assert.Equal(1, await fx.TakenAsync(tote));
    }

    [Fact]
    public async Task CrashAfterTheMemberTransaction_TheRetryReplaysAndConfirms()
    {
        await using var fx = await StartAsync(azurite);
        var tote = fx.Limited("tote");
        var member = await fx.EnrollAsync();
        await fx.EarnAsync(member, 100);
        using var first = await fx.RedeemAsync(member, tote, $"{member}-r1");
        await UndoConfirmationAsync(fx, tote, member, $"{member}-r1");

        using var retried = await fx.RedeemAsync(member, tote, $"{member}-r1");

        Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
        Assert.Equal((await first.ReadAsync<RedemptionResult>()).VoucherCode, (await retried.ReadAsync<RedemptionResult>()).VoucherCode);
        Assert.Equal("confirmed", await ReservationStatusAsync(fx, tote, member));
        Assert.Equal(1, await fx.TakenAsync(tote));
        Assert.Equal(50, (await fx.GetMemberAsync(member)).Points.Balance);
    }

    [Fact]
    public async Task CrashAfterTheMemberTransaction_WithoutRetry_ReconciliationConfirmsAndNeverSellsTheUnitAgain()
    {
        await using var fx = await StartAsync(azurite);
        var tote = fx.Limited("tote");
        var member = await fx.EnrollAsync();
        var other = await fx.EnrollAsync();
        await fx.EarnAsync(member, 100);
        await fx.EarnAsync(other, 100);
        using var first = await fx.RedeemAsync(member, tote, $"{member}-r1");
        await UndoConfirmationAsync(fx, tote, member, $"{member}-r1");
        fx.Time.Advance(PastTheLease);

        using var response = await fx.RedeemAsync(other, tote);

        Assert.Equal("/problems/out-of-stock", (await response.ReadProblemAsync()).Type);
        Assert.Equal("confirmed", await ReservationStatusAsync(fx, tote, member));
        Assert.Equal(1, await fx.TakenAsync(tote));
        Assert.Equal(100, (await fx.GetMemberAsync(other)).Points.Balance);
    }

    [Fact]
    public async Task CancelWhoseStockReturnWasInterrupted_ReturnsTheUnitWhenRetried()
    {
        await using var fx = await StartAsync(azurite);
        var tote = fx.Limited("tote");
        var member = await fx.EnrollAsync();
        await fx.EarnAsync(member, 100);
        using var redeemed = await fx.RedeemAsync(member, tote, $"{member}-r1");
        using var cancelled = await fx.CancelAsync(member, $"{member}-r1");
        // As if the cancellation had committed in the member's partition and crashed before returning the unit.
        await fx.RewardsTable.UpdateEntityAsync(new TableEntity(tote, $"r|{member}|{member}-r1") { ["Status"] = "confirmed" }, Azure.ETag.All, TableUpdateMode.Merge);
        await fx.RewardsTable.UpdateEntityAsync(new TableEntity(tote, "stock") { ["Taken"] = 1 }, Azure.ETag.All, TableUpdateMode.Merge);

        using var retried = await fx.CancelAsync(member, $"{member}-r1");

        Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
        Assert.Equal(await cancelled.ReadAsync<CancellationResult>() with { RestoredLots = [] }, await retried.ReadAsync<CancellationResult>() with { RestoredLots = [] });
        Assert.Equal("cancelled", await ReservationStatusAsync(fx, tote, member));
        Assert.Equal(0, await fx.TakenAsync(tote));
        Assert.Equal(100, (await fx.GetMemberAsync(member)).Points.Balance);
    }
}
