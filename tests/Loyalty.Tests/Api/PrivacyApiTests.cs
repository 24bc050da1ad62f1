using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using Loyalty.Domain.Operations;
using Loyalty.Adapters.Storage;
using Loyalty.Domain;
using Loyalty.Functions.Privacy;
using Loyalty.Functions.Rewards;
using Loyalty.Tests.Infrastructure;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Loyalty.Tests.Api;

/// <summary>Export and erasure of a member's data through the real pipeline on Azurite.</summary>
public sealed class PrivacyApiTests(RewardsFixture fixture, Azurite azurite) : IClassFixture<RewardsFixture>
{
    private static readonly DateTimeOffset March = new(2026, 3, 1, 10, 0, 0, TimeSpan.Zero);

    private HttpClient Client => fixture.Client;

    private static MemberJson Wei => A.Member() with
    {
        FirstName = "Wei",
        Phone = "+8613800138000",
        Birthday = "1990-03-15",
        Locale = "zh-CN",
        TimeZone = "Asia/Shanghai",
        SmsOptIn = true,
    };

    private Task<HttpResponseMessage> Send(HttpMethod method, string url, string? actor = null)
    {
        var request = new HttpRequestMessage(method, url);
        if (actor is not null)
        {
            request.Headers.Add("x-actor", actor);
        }

        return Client.SendAsync(request);
    }

    private Task<IReadOnlyList<AuditEntry>> AuditOf(string member) =>
        fixture.App.Service<AuditLog>().ForMemberAsync(MemberId.Parse(member), CancellationToken.None);

    private async Task<bool> HintExists(string table, string partition, string member) =>
        (await fixture.Tables.GetTableClient(table).GetEntityIfExistsAsync<TableEntity>(partition, member)).HasValue;

    /// <summary>A member with a profile, two lots, a tier and a redemption: every kind of hint and row.</summary>
    private async Task<string> AFullMemberAsync()
    {
        var member = await fixture.EnrollAsync(Wei);
        await fixture.EarnAsync(member, 40, March);
        await fixture.EarnAsync(member, 1000);
        using var redeemed = await fixture.RedeemAsync(member, "coffee", $"{member}-coffee");
        Assert.Equal(HttpStatusCode.Created, redeemed.StatusCode);
        return member;
    }

    [Fact]
    public async Task Export_ReturnsProfileAccountLedgerRedemptionsAndOperations()
    {
        var member = await AFullMemberAsync();

        using var response = await Send(HttpMethod.Get, $"/api/members/{member}/export", "support:olga");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var export = await response.ReadAsync<MemberExport>();
        Assert.Equal(("Wei", "+8613800138000", "1990-03-15", "zh-CN", true), (export.Member.FirstName, export.Member.Phone, export.Member.Birthday, export.Member.Locale, export.Member.SmsOptIn));
        Assert.Equal(A.Now, export.ExportedAt);
        Assert.Equal((990L, 1040L, "gold", 2), (export.Account.Balance, export.Account.Lifetime, export.Account.Tier, export.Account.PurchaseCount));
        Assert.Equal([new LotRecord(new DateOnly(2027, 11, 24), 990)], export.Account.Lots);
        Assert.Equal(["earn", "earn", "tier", "redeem"], export.Ledger.Select(e => e.Kind));
        Assert.Equal(export.Account.Balance, export.Ledger.Sum(e => e.Points));
        var redemption = Assert.Single(export.Redemptions);
        Assert.Equal(($"{member}-coffee", "免费咖啡", "active"), (redemption.RedemptionId, redemption.RewardName, redemption.Status));
        Assert.Equal(2, export.Operations.OfType<PurchaseOperation>().Count());
        var redeemOp = Assert.Single(export.Operations.OfType<RedemptionOperation>());
        Assert.Equal(3, export.Operations.Count);
        Assert.Equal(redemption.VoucherCode, redeemOp.Result.VoucherCode);
        Assert.Equal(2, redeemOp.Details!.Consumed.Count);
        Assert.Empty(export.OtherRows);
        Assert.Empty(export.Sections);
    }

    [Fact]
    public async Task Export_IsAuditedWithTheActorAndNoPersonalData()
    {
        var member = await AFullMemberAsync();

        using var withActor = await Send(HttpMethod.Get, $"/api/members/{member}/export", "support:olga");
        using var withoutActor = await Send(HttpMethod.Get, $"/api/members/{member}/export");

        var audit = await AuditOf(member);
        // Both at the same (fake) instant, so in no particular order.
        Assert.Equal(["export support:olga exported", "export unspecified exported"], audit.Select(a => $"{a.Action} {a.Actor} {a.Outcome}").Order(StringComparer.Ordinal));
        Assert.All(audit, a => Assert.Equal(A.Now, a.At));
        Assert.All(audit, a => Assert.False(string.IsNullOrEmpty(a.RequestId)));
        var rows = fixture.Tables.GetTableClient(Tables.Audit).QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {member}"));
        await foreach (var row in rows)
        {
            var values = string.Join('|', row.Select(p => p.Value).Select(v => Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture)));
            Assert.DoesNotContain("Wei", values, StringComparison.Ordinal);
            Assert.DoesNotContain("8613800138000", values, StringComparison.Ordinal);
            Assert.DoesNotContain("03-15", values, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Export_UnknownMember_Returns404AndAuditsNothing()
    {
        var nobody = A.Id("nobody");

        using var response = await Send(HttpMethod.Get, $"/api/members/{nobody}/export", "support:olga");

        Assert.Equal("/problems/member-not-found", (await response.ReadProblemAsync()).Type);
        Assert.Empty(await AuditOf(nobody));
    }

    [Fact]
    public async Task Export_ActorLongerThan100Characters_Returns400NamingTheHeader()
    {
        var member = await fixture.EnrollAsync();

        using var response = await Send(HttpMethod.Get, $"/api/members/{member}/export", new string('a', 101));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("x-actor", (await response.ReadProblemAsync()).Errors!.Keys);
        Assert.Empty(await AuditOf(member));
    }

    [Fact]
    public async Task Erase_RemovesPersonalDataAndTheHintsThatFindThePerson_AndKeepsTheAnonymisedLedger()
    {
        var member = await AFullMemberAsync();
        var hints = new[]
        {
            (Tables.Birthdays, "0315"),
            (Tables.Phones, TestKeys.Phone.Current("+8613800138000")),
            (Tables.LastPurchase, "20261124"),
            (Tables.TierReview, "20271124"),
        };
        foreach (var (table, partition) in hints)
        {
            Assert.True(await HintExists(table, partition, member), $"{table} {partition} before");
        }

        var ledgerBefore = await fixture.GetLedgerAsync(member);

        using var response = await Send(HttpMethod.Delete, $"/api/members/{member}", "support:olga");

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        var m = await fixture.GetMemberAsync(member);
        Assert.Equal(
            (member, (string?)null, (string?)null, (string?)null, "en", "UTC", false, (DateTimeOffset?)A.Now),
            (m.MemberId, m.FirstName, m.Phone, m.Birthday, m.Locale, m.TimeZone, m.SmsOptIn, m.ErasedAt));
        Assert.Equal((990L, "gold"), (m.Points.Balance, m.Tier));
        var ledgerAfter = await fixture.GetLedgerAsync(member);
        Assert.Equal(ledgerBefore.Entries, ledgerAfter.Entries);
        Assert.Equal(m.Points.Balance, ledgerAfter.Entries.Sum(e => e.Points));
        foreach (var (table, partition) in hints)
        {
            Assert.False(await HintExists(table, partition, member), $"{table} {partition} after");
        }

        // The anonymised points still expire: the nightly job finds them by their lot-expiry hint.
        Assert.True(await HintExists(Tables.LotExpiry, "20271124", member), "lot-expiry hint kept");
        var row = await fixture.Tables.GetTableClient(Tables.Members).GetEntityAsync<TableEntity>(member, "member");
        Assert.All(new[] { "FirstName", "Phone", "Birthday", "ReferredBy" }, p => Assert.Null(row.Value.GetString(p)));
    }

    [Fact]
    public async Task Erase_Twice_Returns204BothTimes_KeepsTheFirstErasureTime_AndAuditsEach()
    {
        // Its own app: it moves the clock.
        await using var own = new RewardsFixture(azurite);
        await own.InitializeAsync();
        var member = await own.EnrollAsync(Wei);
        await own.EarnAsync(member, 100);
        var audit = own.App.Service<AuditLog>();
        using var first = await own.Client.SendAsync(new HttpRequestMessage(HttpMethod.Delete, $"/api/members/{member}") { Headers = { { "x-actor", "support:olga" } } });
        own.Time.Advance(TimeSpan.FromMinutes(1));

        using var second = await own.Client.SendAsync(new HttpRequestMessage(HttpMethod.Delete, $"/api/members/{member}") { Headers = { { "x-actor", "dpo:ivan" } } });

        Assert.Equal((HttpStatusCode.NoContent, HttpStatusCode.NoContent), (first.StatusCode, second.StatusCode));
        var after = await own.GetMemberAsync(member);
        Assert.Equal((A.Now, 100L), (after.ErasedAt, after.Points.Balance));
        Assert.Equal(
            [("erase", "support:olga", "erased", A.Now), ("erase", "dpo:ivan", "already-erased", A.Now.AddMinutes(1))],
            (await audit.ForMemberAsync(MemberId.Parse(member), CancellationToken.None)).Select(a => (a.Action, a.Actor, a.Outcome, a.At)));
    }

    [Fact]
    public async Task Erase_UnknownMember_Returns404()
    {
        using var response = await Send(HttpMethod.Delete, $"/api/members/{A.Id("nobody")}");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("/problems/member-not-found", (await response.ReadProblemAsync()).Type);
    }

    [Fact]
    public async Task AfterErasure_PurchasesRedemptionsCancellationsAndProfileUpdates_AreRefusedWith409MemberErased()
    {
        var member = await AFullMemberAsync();
        using var erased = await Send(HttpMethod.Delete, $"/api/members/{member}");

        using var purchase = await Client.PostJsonAsync("/api/purchases", A.Purchase(member).ToJson());
        using var redemption = await fixture.RedeemAsync(member, "coffee");
        using var cancel = await fixture.CancelAsync(member, $"{member}-coffee");
        using var update = await Client.PutJsonAsync($"/api/members/{member}", A.Member().ToJson());

        foreach (var response in new[] { purchase, redemption, cancel, update })
        {
            Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
            Assert.Equal("/problems/member-erased", (await response.ReadProblemAsync()).Type);
        }

        Assert.Equal(990, (await fixture.GetMemberAsync(member)).Points.Balance);
        using var rewards = await Client.GetAsync($"/api/rewards?memberId={member}");
        Assert.All(await rewards.ReadAsync<List<RewardResponse>>(), r => Assert.False(r.Affordable));
    }

    [Fact]
    public async Task Export_AfterErasure_ShowsTheAnonymisedMemberAndKeepsTheLedger()
    {
        var member = await AFullMemberAsync();
        using var erased = await Send(HttpMethod.Delete, $"/api/members/{member}");

        using var response = await Send(HttpMethod.Get, $"/api/members/{member}/export");

        var export = await response.ReadAsync<MemberExport>();
        Assert.Equal(((string?)null, (string?)null, (DateTimeOffset?)A.Now), (export.Member.FirstName, export.Member.Phone, export.Member.ErasedAt));
        Assert.Equal(4, export.Ledger.Count);
        Assert.Single(export.Redemptions);
        Assert.DoesNotContain("Wei", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PersonalDataSources_AreExportedUnderTheirSectionAndErasedOnEveryErasure()
    {
        var outreach = new InMemoryOutreach();
        await using var app = fixture.App.WithWebHostBuilder(b => b.ConfigureTestServices(s => s.AddSingleton<IPersonalDataSource>(outreach)));
        using var client = app.CreateClient();
        var member = await fixture.EnrollAsync(Wei);
        outreach.Sent[member] = ["birthday greeting"];

        using var export = await client.GetAsync($"/api/members/{member}/export");
        using var first = await client.DeleteAsync($"/api/members/{member}");
        using var second = await client.DeleteAsync($"/api/members/{member}");

        using var json = JsonDocument.Parse(await export.Content.ReadAsStringAsync());
        Assert.Equal("birthday greeting", json.RootElement.GetProperty("sections").GetProperty("outreach")[0].GetString());
        Assert.Equal([member, member], outreach.Erased);
        Assert.False(outreach.Sent.ContainsKey(member));
    }

    /// <summary>Stands in for the outreach outbox, which will be a real <see cref="IPersonalDataSource"/>.</summary>
    private sealed class InMemoryOutreach : IPersonalDataSource
    {
        public Dictionary<string, List<string>> Sent { get; } = [];

        public List<string> Erased { get; } = [];

        public string Section => "outreach";

        public Task<JsonNode?> ExportAsync(MemberId member, CancellationToken ct) =>
            Task.FromResult<JsonNode?>(new JsonArray([.. (Sent.GetValueOrDefault(member.Value) ?? []).Select(s => JsonValue.Create(s))]));

        public Task EraseAsync(MemberId member, CancellationToken ct)
        {
            Erased.Add(member.Value);
            Sent.Remove(member.Value);
            return Task.CompletedTask;
        }
    }
}
