using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Loyalty.Domain.Operations;
using Loyalty.Functions.Members;
using Loyalty.Functions.Rewards;
using Loyalty.Tests.Infrastructure;

namespace Loyalty.Tests.Api;

/// <summary>The reward catalog, redemptions and cancellations through the real pipeline on Azurite.</summary>
public sealed partial class RewardsApiTests(RewardsFixture fixture) : IClassFixture<RewardsFixture>
{
    private static readonly DateTimeOffset March = new(2026, 3, 1, 10, 0, 0, TimeSpan.Zero);
    private static readonly DateOnly MarchExpiry = new(2027, 3, 1);
    private static readonly DateOnly NovemberExpiry = new(2027, 11, 24);

    private HttpClient Client => fixture.Client;

    [Fact]
    public async Task GetRewards_WithoutMember_ListsTheCatalogInEnglishWithoutAffordable()
    {
        using var response = await Client.GetAsync("/api/rewards");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var rewards = await response.ReadAsync<List<RewardResponse>>();
        Assert.Equal(["coffee", "donation", "gold-dinner", fixture.Limited("mug"), fixture.Limited("tote"), fixture.Limited("poster")], rewards.Select(r => r.Id));
        Assert.Equal(new RewardResponse("coffee", "Free coffee", 50, "gift", null, null), rewards[0]);
        Assert.Equal(new RewardResponse("gold-dinner", "Gold members' dinner", 200, "voucher", "gold", null), rewards[2]);
        Assert.Equal(("charity", "discount"), (rewards[1].Kind, rewards[5].Kind));
        Assert.Equal(5 - await fixture.TakenAsync(fixture.Limited("poster")), rewards[5].Stock);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.All(json.RootElement.EnumerateArray(), r => Assert.False(r.TryGetProperty("affordable", out _)));
    }

    [Theory]
    [InlineData("ru", "Бесплатный кофе")]
    [InlineData("zh-CN", "免费咖啡")]
    [InlineData("ru-RU", "Бесплатный кофе")]
    [InlineData("fr", "Free coffee")]
    public async Task GetRewards_WithLocale_NamesInThatLocaleFallingBackToEnglish(string locale, string coffee)
    {
        using var response = await Client.GetAsync($"/api/rewards?locale={locale}");

        var rewards = await response.ReadAsync<List<RewardResponse>>();
        Assert.Equal(coffee, rewards.Single(r => r.Id == "coffee").Name);
        Assert.Equal("A meal donated in your name", rewards.Single(r => r.Id == "donation").Name);
    }

    [Fact]
    public async Task GetRewards_WithMember_UsesTheirLocaleAndShowsWhatTheirBalanceAndTierAfford()
    {
        var member = await fixture.EnrollAsync(A.Member() with { Locale = "ru" });
        await fixture.EarnAsync(member, 300);

        using var response = await Client.GetAsync($"/api/rewards?memberId={member}");

        var rewards = (await response.ReadAsync<List<RewardResponse>>()).ToDictionary(r => r.Id);
        Assert.Equal("Бесплатный кофе", rewards["coffee"].Name);
        Assert.True(rewards["coffee"].Affordable);
        Assert.True(rewards["donation"].Affordable);
        Assert.False(rewards["gold-dinner"].Affordable, "300 points but not gold");
    }

    [Fact]
    public async Task GetRewards_WithMember_ExplicitLocaleWinsAndLowBalanceIsNotAffordable()
    {
        var member = await fixture.EnrollAsync(A.Member() with { Locale = "ru" });
        await fixture.EarnAsync(member, 40);

        using var response = await Client.GetAsync($"/api/rewards?memberId={member}&locale=en");

        var rewards = (await response.ReadAsync<List<RewardResponse>>()).ToDictionary(r => r.Id);
        Assert.Equal("Free coffee", rewards["coffee"].Name);
        Assert.False(rewards["coffee"].Affordable, "40 points, costs 50");
        Assert.True(rewards["donation"].Affordable, "40 points, costs 30");
    }

    [Fact]
    public async Task GetRewards_UnknownMember_Returns404()
    {
        using var response = await Client.GetAsync($"/api/rewards?memberId={A.Id("nobody")}");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("/problems/member-not-found", (await response.ReadProblemAsync()).Type);
    }

    [Theory]
    [InlineData("locale=en_US!", "locale")]
    [InlineData("memberId=a/b", "memberId")]
    public async Task GetRewards_BadQuery_Returns400NamingTheParameter(string query, string field)
    {
        using var response = await Client.GetAsync($"/api/rewards?{query}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(field, (await response.ReadProblemAsync()).Errors!.Keys);
    }

    [Fact]
    public async Task Redeem_EnoughPoints_Returns201WithVoucherAndSpendsSoonestExpiringPointsFirst()
    {
        var member = await fixture.EnrollAsync();
        await fixture.EarnAsync(member, 40, March);
        await fixture.EarnAsync(member, 100);
        var redemptionId = A.Id("r");

        using var response = await fixture.RedeemAsync(member, "coffee", redemptionId);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal($"/api/members/{member}/redemptions/{redemptionId}", response.Headers.Location?.OriginalString);
        var result = await response.ReadAsync<RedemptionResult>();
        Assert.Equal((redemptionId, member, "coffee", "Free coffee", "gift", 50L, 90L, A.Now),
            (result.RedemptionId, result.MemberId, result.RewardId, result.RewardName, result.Kind, result.PointsSpent, result.Balance, result.RedeemedAt));
        Assert.Matches(VoucherCode(), result.VoucherCode);

        // The 40 March points (expiring first) went entirely, then 10 of the November ones.
        var after = await fixture.GetMemberAsync(member);
        Assert.Equal((90L, 90L, 140L, 0L, new ExpiryResponse(90, NovemberExpiry)), (after.Points.Balance, after.Points.Available, after.Points.Lifetime, after.Points.Owed, after.Points.NextExpiry));
        var entry = (await fixture.GetLedgerAsync(member)).Entries[0];
        Assert.Equal(("redeem", -50L, 90L, redemptionId), (entry.Kind, entry.Points, entry.BalanceAfter, entry.Reference));
    }

    [Fact]
    public async Task Redeem_TwoRedemptions_GetDifferentUnguessableCodes()
    {
        var member = await fixture.EnrollAsync();
        await fixture.EarnAsync(member, 100);

        using var first = await fixture.RedeemAsync(member, "coffee");
        using var second = await fixture.RedeemAsync(member, "coffee");

        var codes = new[] { (await first.ReadAsync<RedemptionResult>()).VoucherCode, (await second.ReadAsync<RedemptionResult>()).VoucherCode };
        Assert.All(codes, c => Assert.Matches(VoucherCode(), c));
        Assert.NotEqual(codes[0], codes[1]);
        Assert.Equal(0, (await fixture.GetMemberAsync(member)).Points.Balance);
    }

    [Fact]
    public async Task Redeem_SameRequestThreeTimes_SpendsOnceAndReplaysTheSameCode()
    {
        var member = await fixture.EnrollAsync();
        await fixture.EarnAsync(member, 120);
        var redemptionId = A.Id("r");

        var statuses = new List<HttpStatusCode>();
        var results = new List<RedemptionResult>();
        for (var i = 0; i < 3; i++)
        {
            using var response = await fixture.RedeemAsync(member, "coffee", redemptionId);
            statuses.Add(response.StatusCode);
            results.Add(await response.ReadAsync<RedemptionResult>());
        }

        Assert.Equal([HttpStatusCode.Created, HttpStatusCode.OK, HttpStatusCode.OK], statuses);
        Assert.All(results, r => Assert.Equal(results[0], r));
        Assert.Equal(70, (await fixture.GetMemberAsync(member)).Points.Balance);
    }

    [Fact]
    public async Task Redeem_SameRequestTenInParallel_OneRedemptionOneDebit()
    {
        var member = await fixture.EnrollAsync();
        await fixture.EarnAsync(member, 100);
        var redemptionId = A.Id("r");
        var poster = fixture.Limited("poster");
        var takenBefore = await fixture.TakenAsync(poster);

        var responses = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => fixture.RedeemAsync(member, poster, redemptionId)));

        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Created);
        Assert.Equal(9, responses.Count(r => r.StatusCode == HttpStatusCode.OK));
        var codes = await Task.WhenAll(responses.Select(async r => (await r.ReadAsync<RedemptionResult>()).VoucherCode));
        Assert.Single(codes.Distinct());
        Assert.Equal(80, (await fixture.GetMemberAsync(member)).Points.Balance);
        Assert.Single((await fixture.GetLedgerAsync(member)).Entries, e => e.Kind == "redeem");
        Assert.Equal(takenBefore + 1, await fixture.TakenAsync(poster));
        foreach (var r in responses)
        {
            r.Dispose();
        }
    }

    [Fact]
    public async Task Redeem_SameIdForAnotherReward_Returns409IdempotencyConflict()
    {
        var member = await fixture.EnrollAsync();
        await fixture.EarnAsync(member, 200);
        var redemptionId = A.Id("r");
        using var first = await fixture.RedeemAsync(member, "coffee", redemptionId);

        using var response = await fixture.RedeemAsync(member, "donation", redemptionId);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("/problems/idempotency-conflict", (await response.ReadProblemAsync()).Type);
        Assert.Equal(150, (await fixture.GetMemberAsync(member)).Points.Balance);
    }

    [Fact]
    public async Task Redeem_InsufficientPoints_Returns422AndSpendsNothing()
    {
        var member = await fixture.EnrollAsync();
        await fixture.EarnAsync(member, 49);

        using var response = await fixture.RedeemAsync(member, "coffee");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal("/problems/insufficient-points", (await response.ReadProblemAsync()).Type);
        Assert.Equal(49, (await fixture.GetMemberAsync(member)).Points.Balance);
        Assert.DoesNotContain((await fixture.GetLedgerAsync(member)).Entries, e => e.Kind == "redeem");
    }

    [Fact]
    public async Task Redeem_LimitedRewardWithInsufficientPoints_HoldsNoStock()
    {
        var member = await fixture.EnrollAsync();
        var tote = fixture.Limited("tote");
        var takenBefore = await fixture.TakenAsync(tote);

        using var response = await fixture.RedeemAsync(member, tote);

        Assert.Equal("/problems/insufficient-points", (await response.ReadProblemAsync()).Type);
        Assert.Equal(takenBefore, await fixture.TakenAsync(tote));
        Assert.Empty(await fixture.ReservationsAsync(tote, member));
    }

    [Fact]
    public async Task Redeem_BelowTheRewardsTier_Returns422TierRequired_AndSucceedsOnceTheMemberReachesIt()
    {
        var member = await fixture.EnrollAsync();
        await fixture.EarnAsync(member, 999);

        using var refused = await fixture.RedeemAsync(member, "gold-dinner");
        await fixture.EarnAsync(member, 1);
        using var accepted = await fixture.RedeemAsync(member, "gold-dinner");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        Assert.Equal("/problems/tier-required", (await refused.ReadProblemAsync()).Type);
        Assert.Equal(HttpStatusCode.Created, accepted.StatusCode);
        Assert.Equal(800, (await accepted.ReadAsync<RedemptionResult>()).Balance);
    }

    [Fact]
    public async Task Redeem_UnknownReward_Returns422RewardNotFoundNamingRewardId()
    {
        var member = await fixture.EnrollAsync();

        using var response = await fixture.RedeemAsync(member, "no-such-reward");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var problem = await response.ReadProblemAsync();
        Assert.Equal("/problems/reward-not-found", problem.Type);
        Assert.Contains("rewardId", problem.Errors!.Keys);
    }

    [Fact]
    public async Task Redeem_UnknownMember_Returns404()
    {
        using var response = await fixture.RedeemAsync(A.Id("nobody"), "coffee");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("/problems/member-not-found", (await response.ReadProblemAsync()).Type);
    }

    [Theory]
    [InlineData("""{"rewardId":"coffee"}""", "redemptionId", "validation")]
    [InlineData("""{"redemptionId":"r-1"}""", "rewardId", "validation")]
    [InlineData("""{"redemptionId":"r 1","rewardId":"coffee"}""", "redemptionId", "validation")]
    [InlineData("""{"redemptionId":7,"rewardId":"coffee"}""", "redemptionId", "malformed-json")]
    public async Task Redeem_BadBody_Returns400NamingTheField(string body, string field, string problem)
    {
        var member = await fixture.EnrollAsync();

        using var response = await Client.PostJsonAsync($"/api/members/{member}/redemptions", body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var p = await response.ReadProblemAsync();
        Assert.Equal("/problems/" + problem, p.Type);
        Assert.Contains(field, p.Errors!.Keys);
    }

    [Fact]
    public async Task Redeem_LimitedStockOfThree_TenMembersInParallel_ExactlyThreeSucceed()
    {
        var mug = fixture.Limited("mug");
        var members = await Task.WhenAll(Enumerable.Range(0, 10).Select(async _ =>
        {
            var m = await fixture.EnrollAsync();
            await fixture.EarnAsync(m, 25);
            return m;
        }));

        var responses = await Task.WhenAll(members.Select(m => fixture.RedeemAsync(m, mug)));

        Assert.Equal(3, responses.Count(r => r.StatusCode == HttpStatusCode.Created));
        var refused = responses.Where(r => r.StatusCode != HttpStatusCode.Created).ToList();
        Assert.Equal(7, refused.Count);
        foreach (var r in refused)
        {
            Assert.Equal(HttpStatusCode.Conflict, r.StatusCode);
            Assert.Equal("/problems/out-of-stock", (await r.ReadProblemAsync()).Type);
        }

        var balances = await Task.WhenAll(members.Select(async m => (await fixture.GetMemberAsync(m)).Points.Balance));
        Assert.Equal(3, balances.Count(b => b == 15));
        Assert.Equal(7, balances.Count(b => b == 25));
        Assert.Equal(3, await fixture.TakenAsync(mug));
        using var catalog = await Client.GetAsync("/api/rewards");
        Assert.Equal(0, (await catalog.ReadAsync<List<RewardResponse>>()).Single(r => r.Id == mug).Stock);
        foreach (var r in responses)
        {
            r.Dispose();
        }
    }

    [Fact]
    public async Task Cancel_RestoresThePointsWithTheirOriginalExpiryAndReturnsTheStock()
    {
        var tote = fixture.Limited("tote");
        var member = await fixture.EnrollAsync();
        var other = await fixture.EnrollAsync();
        await fixture.EarnAsync(member, 40, March);
        await fixture.EarnAsync(member, 100);
        await fixture.EarnAsync(other, 100);
        var redemptionId = A.Id("r");
        using var redeemed = await fixture.RedeemAsync(member, tote, redemptionId);
        Assert.Equal(HttpStatusCode.Created, redeemed.StatusCode);
        using var soldOut = await fixture.RedeemAsync(other, tote);
        Assert.Equal(HttpStatusCode.Conflict, soldOut.StatusCode);

        using var response = await fixture.CancelAsync(member, redemptionId);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var result = await response.ReadAsync<CancellationResult>();
        Assert.Equal((redemptionId, tote, 50L, 140L, A.Now), (result.RedemptionId, result.RewardId, result.PointsRestored, result.Balance, result.CancelledAt));
        Assert.Equal([new LotRecord(MarchExpiry, 40), new LotRecord(NovemberExpiry, 10)], result.RestoredLots);
        var points = (await fixture.GetMemberAsync(member)).Points;
        Assert.Equal((140L, 140L, 0L, new ExpiryResponse(40, MarchExpiry)), (points.Balance, points.Lifetime, points.Owed, points.NextExpiry));
        var entry = (await fixture.GetLedgerAsync(member)).Entries[0];
        Assert.Equal(("reverse", 50L, 140L, redemptionId), (entry.Kind, entry.Points, entry.BalanceAfter, entry.Reference));
        Assert.Equal(0, await fixture.TakenAsync(tote));
        using var now = await fixture.RedeemAsync(other, tote);
        Assert.Equal(HttpStatusCode.Created, now.StatusCode);
    }

    [Fact]
    public async Task Cancel_Twice_GivesTheSameAnswerAndRestoresOnce()
    {
        var member = await fixture.EnrollAsync();
        await fixture.EarnAsync(member, 100);
        var redemptionId = A.Id("r");
        using var redeemed = await fixture.RedeemAsync(member, "coffee", redemptionId);

        using var first = await fixture.CancelAsync(member, redemptionId);
        using var second = await fixture.CancelAsync(member, redemptionId);

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (first.StatusCode, second.StatusCode));
        var (a, b) = (await first.ReadAsync<CancellationResult>(), await second.ReadAsync<CancellationResult>());
        Assert.Equal(a.RestoredLots, b.RestoredLots);
        Assert.Equal(a with { RestoredLots = [] }, b with { RestoredLots = [] });
        Assert.Equal(100, (await fixture.GetMemberAsync(member)).Points.Balance);
        Assert.Single((await fixture.GetLedgerAsync(member)).Entries, e => e.Kind == "reverse");
    }

    [Fact]
    public async Task Cancel_ThenTheSameRedemptionAgain_ReplaysWithoutSpendingOrTakingStock()
    {
        var poster = fixture.Limited("poster");
        var member = await fixture.EnrollAsync();
        await fixture.EarnAsync(member, 100);
        var redemptionId = A.Id("r");
        using var redeemed = await fixture.RedeemAsync(member, poster, redemptionId);
        var takenBefore = await fixture.TakenAsync(poster);
        using var cancelled = await fixture.CancelAsync(member, redemptionId);

        using var again = await fixture.RedeemAsync(member, poster, redemptionId);

        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal((await redeemed.ReadAsync<RedemptionResult>()).VoucherCode, (await again.ReadAsync<RedemptionResult>()).VoucherCode);
        Assert.Equal(100, (await fixture.GetMemberAsync(member)).Points.Balance);
        Assert.Equal(takenBefore - 1, await fixture.TakenAsync(poster));
    }

    [Fact]
    public async Task Cancel_UnknownRedemption_Returns404RedemptionNotFound()
    {
        var member = await fixture.EnrollAsync();

        using var response = await fixture.CancelAsync(member, A.Id("r"));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("/problems/redemption-not-found", (await response.ReadProblemAsync()).Type);
    }

    [Fact]
    public async Task Cancel_UnknownMember_Returns404MemberNotFound()
    {
        using var response = await fixture.CancelAsync(A.Id("nobody"), A.Id("r"));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("/problems/member-not-found", (await response.ReadProblemAsync()).Type);
    }

    [Fact]
    public async Task ListRedemptions_ShowsEachVoucherWithItsStatus()
    {
        var member = await fixture.EnrollAsync();
        await fixture.EarnAsync(member, 100);
        using var coffee = await fixture.RedeemAsync(member, "coffee", $"{member}-coffee");
        using var donation = await fixture.RedeemAsync(member, "donation", "r-donation");
        using var cancel = await fixture.CancelAsync(member, $"{member}-coffee");

        using var response = await Client.GetAsync($"/api/members/{member}/redemptions");
        using var single = await Client.GetAsync($"/api/members/{member}/redemptions/r-donation");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var list = (await response.ReadAsync<List<RedemptionView>>()).ToDictionary(r => r.RedemptionId);
        Assert.Equal(2, list.Count);
        Assert.Equal(("cancelled", (DateTimeOffset?)A.Now), (list[$"{member}-coffee"].Status, list[$"{member}-coffee"].CancelledAt));
        Assert.Equal((await coffee.ReadAsync<RedemptionResult>()).VoucherCode, list[$"{member}-coffee"].VoucherCode);
        Assert.Equal(("active", "charity", 30L), (list["r-donation"].Status, list["r-donation"].Kind, list["r-donation"].PointsSpent));
        Assert.Equal(list["r-donation"], await single.ReadAsync<RedemptionView>());
    }

    [Fact]
    public async Task GetRedemption_Unknown_Returns404RedemptionNotFound_AndUnknownMember404MemberNotFound()
    {
        var member = await fixture.EnrollAsync();

        using var unknownRedemption = await Client.GetAsync($"/api/members/{member}/redemptions/{A.Id("r")}");
        using var unknownMember = await Client.GetAsync($"/api/members/{A.Id("nobody")}/redemptions");

        Assert.Equal("/problems/redemption-not-found", (await unknownRedemption.ReadProblemAsync()).Type);
        Assert.Equal("/problems/member-not-found", (await unknownMember.ReadProblemAsync()).Type);
    }

    [GeneratedRegex("^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$")]
    private static partial Regex VoucherCode();
}
