using Loyalty.Client;
using Loyalty.Client.Models;
using Problem = Loyalty.Client.Models.Problem;
using Loyalty.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;
using Microsoft.Kiota.Abstractions.Authentication;
using Microsoft.Kiota.Http.HttpClientLibrary;

namespace Loyalty.Tests.Api;

/// <summary>Drives every operation of the API through the C# client that Kiota generates from the served document
/// (eng/openapi.sh), as an integrator would, with no hand-written fix: the success paths, and the problems a client
/// must handle arriving as the typed <see cref="Problem"/>. The answers are also checked against the document's
/// schemas (<see cref="ContractCheck"/>).</summary>
public sealed class GeneratedClientTests(Azurite azurite)
{
    private static readonly DateTimeOffset Start = new(2027, 3, 1, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task GeneratedClient_DrivesEveryOperation_WithTypedProblems()
    {
        var clock = new FakeTimeProvider(Start);
        await using var app = new LoyaltyApp(azurite, clock, new Dictionary<string, string?>
        {
            ["LOYALTY_PROGRAM_FILE"] = Path.Combine(AppContext.BaseDirectory, "program.json"),
        });
        var http = await app.StartAsync();
        var client = new LoyaltyClient(new HttpClientRequestAdapter(new AnonymousAuthenticationProvider(), httpClient: http)
        {
            BaseUrl = http.BaseAddress!.ToString().TrimEnd('/'),
        });

        Assert.Equal(Loyalty.Client.Api.Health.HealthGetResponse_status.Ok, (await client.Api.Health.GetAsync())!.Status);

        var memberId = A.Id("kiota");
        var card = A.Id("card");
        var phone = "+1425555" + Random.Shared.Next(1000, 9999).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var member = await client.Api.Members[memberId].PutAsync(new MemberRequest { FirstName = "Kai", Phone = phone, Cards = [card], TimeZone = "Europe/London" });
        Assert.Equal(memberId, member!.MemberId);
        Assert.Equal("Kai", (await client.Api.Members[memberId].PutAsync(new MemberRequest { FirstName = "Kai", Cards = [card] }))!.FirstName);
        Assert.Equal(memberId, (await client.Api.Members[memberId].GetAsync())!.MemberId);
        Assert.Equal(memberId, (await client.Api.Members.GetAsync(c => c.QueryParameters.Card = card))!.MemberId);

        // Money is a decimal: 0.1 + 0.2 is 0.3 exactly, which USD accepts.
        var purchase = new PurchaseRequest
        {
            PurchaseId = A.Id("order"),
            MemberId = memberId,
            Amount = 239.9m + 0.1m,
            Currency = "USD",
            OccurredAt = Start.AddMinutes(-1),
            Lines = [new PurchaseLineRequest { Sku = "tray", Category = "catering", Quantity = 1, Amount = 0.1m + 0.2m }],
        };
        var quote = await client.Api.Purchases.Quote.PostAsync(purchase);
        Assert.Equal(240, quote!.PointsEarned - quote.Bonuses!.Sum(b => b.Points ?? 0));
        var recorded = await client.Api.Purchases.PostAsync(purchase);
        Assert.Equal(315, recorded!.Balance);
        var voucher = Assert.Single(recorded.Vouchers!).Code!;
        Assert.Equal(315, (await client.Api.Purchases.PostAsync(purchase))!.Balance);

        var ledger = await client.Api.Members[memberId].Ledger.GetAsync(c => c.QueryParameters.Limit = 1);
        Assert.Single(ledger!.Entries!);

        var returned = await client.Api.Returns.PostAsync(new ReturnRequest
        {
            ReturnId = A.Id("ret"),
            PurchaseId = purchase.PurchaseId,
            MemberId = memberId,
            Amount = 40m,
            OccurredAt = Start,
        });
        Assert.Equal(200.00m, returned!.Returnable);
        var adjusted = await client.Api.Members[memberId].Adjustments.PostAsync(new AdjustmentRequest { AdjustmentId = A.Id("adj"), Points = 100, Reason = "Goodwill" });
        Assert.Equal(100, adjusted!.Points);

        Assert.Contains((await client.Api.Rewards.GetAsync(c => c.QueryParameters.MemberId = memberId))!, r => r.Id == "coffee");
        var redemptionId = A.Id("red");
        var redemption = await client.Api.Members[memberId].Redemptions.PostAsync(new RedemptionRequest { RedemptionId = redemptionId, RewardId = "coffee" });
        Assert.Equal(150, redemption!.PointsSpent);
        Assert.Single((await client.Api.Members[memberId].Redemptions.GetAsync())!);
        Assert.Equal(redemptionId, (await client.Api.Members[memberId].Redemptions[redemptionId].GetAsync())!.RedemptionId);
        Assert.Equal(150, (await client.Api.Members[memberId].Redemptions[redemptionId].Cancel.PostAsync())!.PointsRestored);

        Assert.Equal(voucher, (await client.Api.Vouchers[voucher].GetAsync())!.Code);
        Assert.Single((await client.Api.Members[memberId].Vouchers.GetAsync(c => c.QueryParameters.Status = Loyalty.Client.Api.Members.Item.Vouchers.GetStatusQueryParameterType.Active))!);
        var use = await client.Api.Vouchers[voucher].Uses.PostAsync(new VoucherUseRequest { UseId = A.Id("use"), OrderId = A.Id("order") });
        Assert.Equal(voucher, use!.Code);

        var holdId = A.Id("hold");
        var hold = await client.Api.Members[memberId].Holds.PostAsync(new HoldRequest { HoldId = holdId, Amount = 0.5m, Currency = "USD" });
        Assert.Equal(50, hold!.Points);
        Assert.Equal(HoldResult_status.Held, (await client.Api.Members[memberId].Holds[holdId].GetAsync())!.Status);
        Assert.Equal(30, (await client.Api.Members[memberId].Holds[holdId].Capture.PostAsync(new CaptureRequest { OrderId = A.Id("order"), Points = 30 }))!.CapturedPoints);
        var second = A.Id("hold");
        await client.Api.Members[memberId].Holds.PostAsync(new HoldRequest { HoldId = second, Points = 10 });
        Assert.Equal(HoldResult_status.Released, (await client.Api.Members[memberId].Holds[second].Release.PostAsync())!.Status);

        Assert.NotNull(await client.Api.Members[memberId].Messages.GetAsync());
        var export = await client.Api.Members[memberId].Export.GetAsync(c => c.Headers.Add("x-actor", "test:kiota"));
        Assert.Equal(memberId, export!.Member!.MemberId);
        // The export is typed: each operation is the variant of its kind, with the answer its request got.
        var exported = Assert.Single(export.Operations!, o => o.OperationExportPurchaseOperation is not null).OperationExportPurchaseOperation!;
        Assert.Equal(purchase.PurchaseId, exported.Id);
        Assert.Equal(315, exported.Result!.Balance);
        Assert.Equal(40m, exported.Details!.ReturnedAmount);
        Assert.Equal(100, Assert.Single(export.Operations!, o => o.OperationExportAdjustmentOperation is not null).OperationExportAdjustmentOperation!.Result!.Points);
        // Each event is the variant of its type, its data that event's data (the schemas of the AsyncAPI document).
        var earned = Assert.Single(export.Events!, e => e.EventExportPointsEarned?.Data?.PurchaseId == purchase.PurchaseId).EventExportPointsEarned!;
        Assert.Equal(240, earned.Data!.BasePoints);
        Assert.Equal(315, earned.Data.Balance);
        Assert.Equal(240m, earned.Data.Amount);
        Assert.Equal(40m, Assert.Single(export.Events!, e => e.EventExportPointsReturned is not null).EventExportPointsReturned!.Data!.Amount);
        Assert.Equal("coffee", Assert.Single(export.Events!, e => e.EventExportRewardRedeemed is not null).EventExportRewardRedeemed!.Data!.RewardId);

        // The problems, typed: 400 with every field at fault, 404, and 409 for an id reused with other content.
        var invalid = await Assert.ThrowsAsync<Problem>(() => client.Api.Purchases.PostAsync(new PurchaseRequest
        {
            PurchaseId = "no spaces allowed",
            MemberId = memberId,
            Amount = -1m,
            Currency = "USD",
            OccurredAt = Start,
        }));
        Assert.Equal(400, invalid.ResponseStatusCode);
        Assert.Equal(Problem_type.ProblemsValidation, invalid.Type);
        Assert.Contains("purchaseId", invalid.Errors!.AdditionalData.Keys);
        Assert.Contains("amount", invalid.Errors.AdditionalData.Keys);
        var missing = await Assert.ThrowsAsync<Problem>(() => client.Api.Members[A.Id("nobody")].GetAsync());
        Assert.Equal(Problem_type.ProblemsMemberNotFound, missing.Type);
        Assert.False(string.IsNullOrEmpty(missing.Detail));
        var reused = await Assert.ThrowsAsync<Problem>(() => client.Api.Purchases.PostAsync(new PurchaseRequest
        {
            PurchaseId = purchase.PurchaseId,
            MemberId = memberId,
            Amount = 1m,
            Currency = "USD",
            OccurredAt = Start,
        }));
        Assert.Equal(409, reused.ResponseStatusCode);
        Assert.Equal(Problem_type.ProblemsIdempotencyConflict, reused.Type);

        await client.Api.Members[memberId].DeleteAsync(c => c.Headers.Add("x-actor", "test:kiota"));
        var erased = await Assert.ThrowsAsync<Problem>(() => client.Api.Members[memberId].PutAsync(new MemberRequest { FirstName = "Kai" }));
        Assert.Equal(Problem_type.ProblemsMemberErased, erased.Type);
    }
}
