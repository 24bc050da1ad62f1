using System.Net;
using Loyalty.Adapters.Storage;
using Loyalty.Domain;
using Loyalty.Functions.Members;
using Loyalty.Tests.Infrastructure;

namespace Loyalty.Tests.Api;

/// <summary>The ledger invariants of the program rules on Azurite, through the API: every entry comes from exactly
/// one idempotency key, and the outcome of purchases, returns and adjustments for one member does not depend on
/// retries or on how concurrent requests interleave.</summary>
public sealed class InterleavingTests(AppFixture fixture) : IClassFixture<AppFixture>
{
    [Fact]
    public async Task PurchasesReturnsAndAdjustments_SentTwiceAndInParallel_EndAsIfSentOnceInOrder()
    {
        var member = await fixture.EnrollAsync();
        var purchases = Enumerable.Range(1, 12).Select(i => (A.Purchase(member) with { PurchaseId = $"{member}-p{i}" }).WithAmount(10 * i)).ToList();
        var returns = purchases.Where((_, i) => i % 3 == 0).Select((p, i) =>
            $$"""{"returnId":"{{member}}-r{{i}}","purchaseId":"{{p.PurchaseId}}","memberId":"{{member}}","amount":{{p.Amount / 2}},"occurredAt":"2026-11-24T11:30:00Z"}""").ToList();
        var adjustments = new[] { 15, -7, 30 }.Select((points, i) => $$"""{"adjustmentId":"{{member}}-a{{i}}","points":{{points}},"reason":"support"}""").ToList();

        // Every request twice, all at once, in a shuffled order; returns after their purchases exist.
        var first = purchases.Select(p => p.ToJson()).SelectMany(json => new[] { json, json }).Select(json => ("/api/purchases", json))
            .Concat(adjustments.SelectMany(json => new[] { json, json }).Select(json => ($"/api/members/{member}/adjustments", json)))
            .OrderBy(_ => Random.Shared.Next()).ToList();
        var firstWave = await Task.WhenAll(first.Select(r => fixture.Client.PostJsonAsync(r.Item1, r.Item2)));
        var secondWave = await Task.WhenAll(returns.SelectMany(json => new[] { json, json, json }).OrderBy(_ => Random.Shared.Next())
            .Select(json => fixture.Client.PostJsonAsync("/api/returns", json)));

        Assert.All(firstWave.Concat(secondWave), r => Assert.True(r.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK, r.StatusCode.ToString()));
        var expected = purchases.Sum(p => (long)p.Amount) - purchases.Where((_, i) => i % 3 == 0).Sum(p => (long)(p.Amount / 2)) + 15 - 7 + 30;
        using var response = await fixture.Client.GetAsync($"/api/members/{member}");
        Assert.Equal(expected, (await response.ReadAsync<MemberResponse>()).Points.Balance);

        var store = fixture.App.Service<MemberStore>();
        var id = MemberId.Parse(member);
        var operations = (await store.ReadPartitionAsync(id, CancellationToken.None))!.Operations.Select(o => o.Operation).ToList();
        var (entries, _) = await store.GetLedgerAsync(id, 1000, null, CancellationToken.None);
        Assert.Equal(12 + 4 + 3, operations.Count);
        Assert.Equal(entries.Select(e => e.Seq).Order(), operations.SelectMany(o => o.Entries).Order());
        Assert.Equal(expected, entries.Sum(e => e.Points.Value));
    }
}
