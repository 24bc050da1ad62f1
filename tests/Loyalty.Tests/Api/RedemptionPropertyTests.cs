using System.Globalization;
using System.Net;
using CsCheck;
using Loyalty.Domain.Operations;
using Loyalty.Adapters.Storage;
using Loyalty.Domain;
using Loyalty.Tests.Infrastructure;

namespace Loyalty.Tests.Api;

/// <summary>Any sequence of purchases, redemptions, replays and cancellations on one member, through the API on Azurite,
/// leaves balance = sum of the ledger = sum of the lots = what a plain model of the sequence says, with no lot empty
/// or negative; and a limited reward's stock counts exactly the redemptions that were not cancelled.</summary>
public sealed class RedemptionPropertyTests(RewardsFixture fixture) : IClassFixture<RewardsFixture>
{
    private static readonly (string Id, long Cost)[] Unlimited = [("coffee", 50), ("donation", 30)];

    // Kind: 0 purchase, 1 redeem, 2 replay a redemption, 3 cancel a redemption. Pick chooses the reward or the earlier
    // redemption; Amount is the purchase amount, and how many days ago it was made (so lots expire on different days).
    private static readonly Gen<(int Kind, int Pick, int Amount)> Op = Gen.Select(Gen.Int[0, 3], Gen.Int[0, 100], Gen.Int[1, 120]);

    [Fact]
    public async Task AnySequenceOfPurchasesRedemptionsReplaysAndCancellations_KeepsBalanceLedgerAndLotsEqual()
    {
        var poster = fixture.Limited("poster");
        var store = fixture.App.Service<MemberStore>();
        var activePosters = 0;
        await Op.Array[1, 14].SampleAsync(async ops =>
        {
            var member = await fixture.EnrollAsync();
            var expected = 0L;
            var entries = 0;
            var redemptions = new List<(string Id, string Reward, long Cost, string Code, bool Cancelled)>();
            foreach (var (kind, pick, amount) in ops)
            {
                if (kind == 0 || (kind >= 2 && redemptions.Count == 0))
                {
                    await fixture.EarnAsync(member, amount, A.Now.AddDays(-amount));
                    expected += amount;
                    entries++;
                }
                else if (kind == 1)
                {
                    var (reward, cost) = pick % 3 == 2 ? (poster, 20L) : Unlimited[pick % 2];
                    var id = A.Id("r");
                    using var response = await fixture.RedeemAsync(member, reward, id);
                    if (response.StatusCode == HttpStatusCode.Created)
                    {
                        Assert.True(expected >= cost, "redeemed without the points");
                        redemptions.Add((id, reward, cost, (await response.ReadAsync<RedemptionResult>()).VoucherCode, false));
                        expected -= cost;
                        entries++;
                        activePosters += reward == poster ? 1 : 0;
                    }
                    else
                    {
                        var problem = (await response.ReadProblemAsync()).Type;
                        Assert.True(
                            (problem == "/problems/insufficient-points" && expected < cost) || (problem == "/problems/out-of-stock" && reward == poster),
                            $"{problem} with {expected} points for {reward}");
                    }
                }
                else if (kind == 2)
                {
                    var r = redemptions[pick % redemptions.Count];
                    using var response = await fixture.RedeemAsync(member, r.Reward, r.Id);
                    Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                    Assert.Equal(r.Code, (await response.ReadAsync<RedemptionResult>()).VoucherCode);
                }
                else
                {
                    var index = pick % redemptions.Count;
                    var r = redemptions[index];
                    using var response = await fixture.CancelAsync(member, r.Id);
                    Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                    Assert.Equal(r.Cost, (await response.ReadAsync<CancellationResult>()).PointsRestored);
                    if (!r.Cancelled)
                    {
                        redemptions[index] = r with { Cancelled = true };
                        expected += r.Cost;
                        entries++;
                        activePosters -= r.Reward == poster ? 1 : 0;
                    }
                }
            }

            var stored = (await store.GetAsync(MemberId.Parse(member), CancellationToken.None))!;
            var ledger = (await fixture.GetLedgerAsync(member)).Entries;
            Assert.Equal(expected, stored.Account.Balance.Value);
            Assert.Equal(expected, ledger.Sum(e => e.Points));
            Assert.Equal(expected, stored.Account.Lots.Sum(l => l.Remaining.Value));
            Assert.Equal(0, stored.Account.Debt.Value);
            Assert.All(stored.Account.Lots, l => Assert.True(l.Remaining.Value > 0));
            Assert.Equal(entries, ledger.Count(e => e.Kind != "tier"));
            Assert.Equal(expected, (await fixture.GetMemberAsync(member)).Points.Balance);
            Assert.Equal(activePosters, await fixture.TakenAsync(poster));
        }, iter: 60, threads: 1, print: ops => string.Join(", ", ops.Select(o => string.Create(CultureInfo.InvariantCulture, $"{o.Kind}/{o.Pick}/{o.Amount}"))));
    }
}
