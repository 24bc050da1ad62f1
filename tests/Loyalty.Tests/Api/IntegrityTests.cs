using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using Loyalty.Adapters.Storage;
using Loyalty.Functions.Http;
using Loyalty.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Loyalty.Tests.Api;

/// <summary>Regression tests for the ways an adversarial user could create points, credit one order twice, stop a
/// nightly job or keep personal data after erasure (the integrity issue), through the real pipeline on Azurite, with
/// Fixtures/program.integrity.json: negative balances off, a pastry promotion, a spend threshold with a voucher.</summary>
public sealed class IntegrityTests(PrivateAzurite azurite) : IAsyncLifetime, IClassFixture<PrivateAzurite>
{
    private readonly LogCapture logs = new();
    private LoyaltyApp app = null!;
    private HttpClient client = null!;

    private FakeTimeProvider Clock => app.Time!;

    public async ValueTask InitializeAsync()
    {
        app = new LoyaltyApp(
            azurite,
            new FakeTimeProvider(A.Now),
            new Dictionary<string, string?> { ["LOYALTY_PROGRAM_FILE"] = Path.Combine(AppContext.BaseDirectory, "Fixtures", "program.integrity.json") },
            s => s.AddSingleton<ILoggerProvider>(logs));
        client = await app.StartAsync();
    }

    public ValueTask DisposeAsync() => app.DisposeAsync();

    private async Task<string> Enroll(MemberJson? member = null)
    {
        var id = A.Id("m");
        using var r = await client.PutJsonAsync($"/api/members/{id}", (member ?? A.Member()).ToJson());
        Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        return id;
    }

    private Task<HttpResponseMessage> Purchase(string member, decimal amount, string? id = null, DateTimeOffset? at = null, string? lines = null) =>
        client.PostJsonAsync("/api/purchases", $$"""
            {"purchaseId":"{{id ?? A.Id("p")}}","memberId":"{{member}}","amount":{{Inv(amount)}},"currency":"USD",
             "occurredAt":"{{(at ?? Clock.GetUtcNow().AddMinutes(-1)).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture)}}"{{(lines is null ? "" : $",\"lines\":{lines}")}}}
            """);

    private async Task<JsonNode> Buy(string member, decimal amount, string? id = null, DateTimeOffset? at = null)
    {
        using var r = await Purchase(member, amount, id, at);
        Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        return await Json(r);
    }

    private Task<HttpResponseMessage> Return(string member, string purchaseId, decimal amount, string? returnId = null) =>
        client.PostJsonAsync("/api/returns", $$"""{"returnId":"{{returnId ?? A.Id("r")}}","purchaseId":"{{purchaseId}}","memberId":"{{member}}","amount":{{Inv(amount)}},"occurredAt":"{{Clock.GetUtcNow():O}}"}""");

    private Task<HttpResponseMessage> Adjust(string member, string points, string reason = "support", string? id = null) =>
        client.PostJsonAsync($"/api/members/{member}/adjustments", $$"""{"adjustmentId":"{{id ?? A.Id("a")}}","points":{{points}},"reason":"{{reason}}"}""");

    private async Task<JsonNode> Member(string member)
    {
        using var r = await client.GetAsync($"/api/members/{member}");
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        return await Json(r);
    }

    private Task<HttpResponseMessage> RunJob(string job) => client.PostJsonAsync($"/{job}", Fixtures.Load("Functions/timer.json").ToJsonString());

    private async Task<bool> HintExists(string table, string partition, string member) =>
        (await azurite.Tables.GetTableClient(table).GetEntityIfExistsAsync<TableEntity>(partition, member)).HasValue;

    private static async Task<JsonNode> Json(HttpResponseMessage r) => JsonNode.Parse(await r.Content.ReadAsStringAsync())!;

    private static string Inv(decimal d) => d.ToString(CultureInfo.InvariantCulture);

    [Fact]
    public async Task Purchase_WithALineWorthMoreThanThePurchase_Returns400NamingTheLine_AndCreditsNothing()
    {
        var member = await Enroll();

        using var r = await Purchase(member, 1.00m, lines: """[{"sku":"croissant","category":"pastry","quantity":1,"amount":1000000000000}]""");

        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        var problem = await r.ReadProblemAsync();
        Assert.Contains("1.00 USD", Assert.Single(problem.Errors!["lines[0].amount"]), StringComparison.Ordinal);
        Assert.Equal(0, await client.BalanceAsync(member));
    }

    [Fact]
    public async Task Purchase_WithLinesAddingUpToMoreThanThePurchase_Returns400WithBothSums()
    {
        var member = await Enroll();

        using var r = await Purchase(member, 1.00m, lines: """[{"sku":"a","category":"pastry","quantity":1,"amount":0.80},{"sku":"b","category":"pastry","quantity":2,"amount":0.80}]""");

        var message = Assert.Single((await r.ReadProblemAsync()).Errors!["lines"]);
        Assert.Contains("1.60 USD", message, StringComparison.Ordinal);
        Assert.Contains("1.00 USD", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Purchase_WithLinesWithinTheAmount_EarnsThePromotionOnThem()
    {
        var member = await Enroll();

        using var r = await Purchase(member, 10.00m, lines: """[{"sku":"croissant","category":"pastry","quantity":2,"amount":8.00},{"sku":"latte","category":"coffee","quantity":1,"amount":2.00}]""");

        Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        Assert.Equal(18, (await Json(r))["pointsEarned"]!.GetValue<long>());
    }

    [Fact]
    public async Task ExpirePoints_AMemberWith110LotsDueTheSameNight_ExpiresThemAll_AndEveryoneElsesToo()
    {
        // Back-filled history (a year of purchases recorded at once), then a job that did not run for 111 days.
        var many = await Enroll();
        var other = await Enroll();
        var aYearAgo = A.Now.AddDays(-364);
        await Task.WhenAll(Enumerable.Range(0, 110).Select(i => Buy(many, 1, at: aYearAgo.AddDays(i))));
        await Buy(other, 7, at: aYearAgo);
        Clock.Advance(TimeSpan.FromDays(111));

        using var run = await RunJob("ExpirePoints");

        var summary = (await run.ReadInvocationResultAsync(HttpStatusCode.OK))[0];
        Assert.Contains("failed 0", summary, StringComparison.Ordinal);
        Assert.Equal((0L, 0L), (await client.BalanceAsync(many), await client.BalanceAsync(other)));
        Assert.Equal(110, (await client.LedgerAsync(many)).Count(e => e["kind"]!.GetValue<string>() == "expire"));
    }

    [Fact]
    public async Task ExpirePoints_OneMemberFails_TheOthersStillExpire_AndTheRunReportsItAndRetriesNextTime()
    {
        var broken = await Enroll();
        var fine = await Enroll();
        var aYearAgo = A.Now.AddDays(-364);
        await Buy(broken, 5, at: aYearAgo);
        await Buy(fine, 5, at: aYearAgo);
        Clock.Advance(TimeSpan.FromDays(2));
        var members = azurite.Tables.GetTableClient(Tables.Members);
        var row = (await members.GetEntityAsync<TableEntity>(broken, "member")).Value;
        var lots = row.GetString("Lots");
        await members.UpdateEntityAsync(new TableEntity(broken, "member") { ["Lots"] = "not-a-lot" }, Azure.ETag.All, TableUpdateMode.Merge);

        using var failed = await RunJob("ExpirePoints");
        var failedLogs = await failed.ReadInvocationResultAsync(HttpStatusCode.InternalServerError);
        await members.UpdateEntityAsync(new TableEntity(broken, "member") { ["Lots"] = lots }, Azure.ETag.All, TableUpdateMode.Merge);
        using var retried = await RunJob("ExpirePoints");

        Assert.Contains("failed 1", failedLogs[0], StringComparison.Ordinal);
        Assert.Contains(broken, failedLogs[1], StringComparison.Ordinal);
        Assert.Contains("failed 0", (await retried.ReadInvocationResultAsync(HttpStatusCode.OK))[0], StringComparison.Ordinal);
        Assert.Equal((0L, 0L), (await client.BalanceAsync(broken), await client.BalanceAsync(fine)));
    }

    [Fact]
    public async Task ExpirePoints_RunAgainTheSameDay_ExpiresLotsThatCameDueSince()
    {
        var member = await Enroll();
        await Buy(member, 5, at: A.Now.AddDays(-364));
        Clock.Advance(TimeSpan.FromDays(2));
        using var first = await RunJob("ExpirePoints");
        Assert.Equal(0, await client.BalanceAsync(member));

        await Buy(member, 9, at: Clock.GetUtcNow().AddYears(-1).AddHours(-1));
        Assert.Equal(9, await client.BalanceAsync(member));
        using var again = await RunJob("ExpirePoints");

        await again.ReadInvocationResultAsync(HttpStatusCode.OK);
        Assert.Equal(0, await client.BalanceAsync(member));
    }

    [Fact]
    public async Task Purchase_ThatWouldTakePointsBeyondWhatTheLedgerHolds_Returns422_NotAnError()
    {
        var member = await Enroll();
        await Buy(member, 10);
        var members = azurite.Tables.GetTableClient(Tables.Members);
        await members.UpdateEntityAsync(new TableEntity(member, "member") { ["Lifetime"] = long.MaxValue - 5 }, Azure.ETag.All, TableUpdateMode.Merge);

        using var r = await Purchase(member, 10);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, r.StatusCode);
        Assert.Equal("/problems/points-out-of-range", (await r.ReadProblemAsync()).Type);
        Assert.Equal(10, await client.BalanceAsync(member));
    }

    [Fact]
    public async Task Return_ReusedIdWithAnotherAmount_Returns409_WhateverTheZeros()
    {
        var member = await Enroll();
        var purchase = A.Id("p");
        await Buy(member, 150, purchase);
        var returnId = A.Id("r");

        using var one = await Return(member, purchase, 1, returnId);
        using var ten = await Return(member, purchase, 10, returnId);
        using var hundred = await Return(member, purchase, 100, returnId);
        using var sameAmount = await Return(member, purchase, 1.00m, returnId);

        Assert.Equal(HttpStatusCode.Created, one.StatusCode);
        Assert.Equal((HttpStatusCode.Conflict, HttpStatusCode.Conflict), (ten.StatusCode, hundred.StatusCode));
        Assert.Equal("/problems/idempotency-conflict", (await ten.ReadProblemAsync()).Type);
        Assert.Equal(HttpStatusCode.OK, sameAmount.StatusCode);
        Assert.Equal(149, await client.BalanceAsync(member));
    }

    [Fact]
    public async Task Purchase_SameOrderIdForAnotherMember_Returns409_OverHttpAndFromTheQueue_AndCreditsOnce()
    {
        var first = await Enroll();
        var second = await Enroll();
        var order = A.Id("order");
        await Buy(first, 100, order);

        using var http = await Purchase(second, 100, order);
        var values = InvocationBodies.Values(second, order);
        values["occurredAt"] = Clock.GetUtcNow().AddHours(-1).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        using var queued = await client.InvokeAsync("RecordPurchaseFromQueue", Fixtures.Load("Functions/queue-documented.json", values));

        Assert.Equal(HttpStatusCode.Conflict, http.StatusCode);
        Assert.Equal("/problems/idempotency-conflict", (await http.ReadProblemAsync()).Type);
        Assert.Contains("idempotency conflict", (await queued.ReadInvocationResultAsync(HttpStatusCode.Conflict))[0], StringComparison.Ordinal);
        Assert.Equal((100L, 0L), (await client.BalanceAsync(first), await client.BalanceAsync(second)));
    }

    [Fact]
    public async Task AnIdAnotherMemberHolds_IsAConflictBeforeAnyRule_AndAFailedRequestBurnsNoId()
    {
        var rich = await Enroll();
        var poor = await Enroll();
        var late = await Enroll();
        await Buy(rich, 200);
        var coffee = A.Id("c");
        var refused = A.Id("c");
        using var first = await client.PostJsonAsync($"/api/members/{rich}/redemptions", $$"""{"redemptionId":"{{coffee}}","rewardId":"coffee"}""");

        using var reused = await client.PostJsonAsync($"/api/members/{poor}/redemptions", $$"""{"redemptionId":"{{coffee}}","rewardId":"coffee"}""");
        using var poorTry = await client.PostJsonAsync($"/api/members/{poor}/redemptions", $$"""{"redemptionId":"{{refused}}","rewardId":"coffee"}""");
        await Buy(late, 200);
        using var lateTry = await client.PostJsonAsync($"/api/members/{late}/redemptions", $$"""{"redemptionId":"{{refused}}","rewardId":"coffee"}""");

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, reused.StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, poorTry.StatusCode);
        Assert.Equal(HttpStatusCode.Created, lateTry.StatusCode);
    }

    [Fact]
    public async Task Erase_AfterPhoneAndBirthdayChanges_LeavesNoHintOfAnyNumberOrBirthday()
    {
        var member = await Enroll(A.Member() with { Phone = "+14255550101", Birthday = "1990-03-15" });
        using var changed = await client.PutJsonAsync($"/api/members/{member}", (A.Member() with { Phone = "+14255550102", Birthday = "1991-04-16" }).ToJson());
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        var oldPhone = TestKeys.Phone.Current("+14255550101");
        var newPhone = TestKeys.Phone.Current("+14255550102");
        Assert.False(await HintExists(Tables.Phones, oldPhone, member));
        Assert.True(await HintExists(Tables.Phones, newPhone, member));

        // As if deleting the old hints had failed when the profile changed: the member row still lists them.
        await azurite.Tables.GetTableClient(Tables.Phones).UpsertEntityAsync(new TableEntity(oldPhone, member));
        await azurite.Tables.GetTableClient(Tables.Birthdays).UpsertEntityAsync(new TableEntity("0315", member));
        using var erased = await client.DeleteAsync($"/api/members/{member}");

        Assert.Equal(HttpStatusCode.NoContent, erased.StatusCode);
        foreach (var (table, partition) in new[] { (Tables.Phones, oldPhone), (Tables.Phones, newPhone), (Tables.Birthdays, "0315"), (Tables.Birthdays, "0416") })
        {
            Assert.False(await HintExists(table, partition, member), $"{table}/{partition} still leads to the member");
        }

        var row = (await azurite.Tables.GetTableClient(Tables.Members).GetEntityAsync<TableEntity>(member, "member")).Value;
        Assert.Equal("", row.GetString("Hints") ?? "");
    }

    [Fact]
    public async Task Erase_RacingProfileUpdates_LeavesNoPhoneHint()
    {
        for (var round = 0; round < 8; round++)
        {
            var member = await Enroll();
            var phones = Enumerable.Range(0, 4).Select(i => $"+1425555{round:D2}{i:D2}").ToList();
            var puts = phones.Select(p => client.PutJsonAsync($"/api/members/{member}", (A.Member() with { Phone = p }).ToJson()));
            var erase = client.DeleteAsync($"/api/members/{member}");
            var answers = await Task.WhenAll(puts.Append(erase));

            Assert.All(answers, a => Assert.True(a.StatusCode is HttpStatusCode.OK or HttpStatusCode.NoContent or HttpStatusCode.Conflict, a.StatusCode.ToString()));
            foreach (var phone in phones.Append(A.Member().Phone!))
            {
                Assert.False(await HintExists(Tables.Phones, TestKeys.Phone.Current(phone), member), $"round {round}: a hint of {phone} outlived the erasure");
            }

            Assert.NotNull((await Member(member))["erasedAt"]);
        }
    }

    [Fact]
    public async Task Export_AfterErasure_NamesNoReferrerAnywhere()
    {
        var referrer = await Enroll();
        var member = await Enroll(A.Member() with { ReferredBy = referrer });
        await Buy(member, 20);
        Assert.Equal(500, await client.BalanceAsync(referrer));

        using var erased = await client.DeleteAsync($"/api/members/{member}");
        using var export = await client.GetAsync($"/api/members/{member}/export");

        Assert.Equal(HttpStatusCode.OK, export.StatusCode);
        var text = await export.Content.ReadAsStringAsync();
        Assert.DoesNotContain(referrer, text, StringComparison.Ordinal);
        Assert.DoesNotContain(A.Member().Phone!, text, StringComparison.Ordinal);
        Assert.DoesNotContain(A.Member().FirstName!, text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PhoneHints_AreKeyedWithTheSecret_NotAPlainHashAnyoneCanRecompute()
    {
        var member = await Enroll(A.Member() with { Phone = "+14255550177" });
        var plain = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("+14255550177")));
        var keyed = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(TestKeys.PhoneSecret), Encoding.UTF8.GetBytes("+14255550177")));

        Assert.True(await HintExists(Tables.Phones, keyed, member));
        Assert.False(await HintExists(Tables.Phones, plain, member));
    }

    [Theory]
    [InlineData("-9223372036854775808")]
    [InlineData("9223372036854775808")]
    [InlineData("1e30")]
    [InlineData("1000001")]
    [InlineData("10.5")]
    [InlineData("\"10\"")]
    public async Task Adjustment_PointsThatAreNotAWholeNumberInRange_Returns400NamingPoints(string points)
    {
        var member = await Enroll();

        using var r = await Adjust(member, points);

        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.True((await r.ReadProblemAsync()).Errors!.ContainsKey("points"));
        Assert.Equal(0, await client.BalanceAsync(member));
    }

    [Theory]
    [InlineData("10")]
    [InlineData("10.0")]
    [InlineData("1e1")]
    public async Task Adjustment_TenWrittenAnyWay_IsTen(string points)
    {
        var member = await Enroll();

        using var r = await Adjust(member, points);

        Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        Assert.Equal(10, await client.BalanceAsync(member));
    }

    [Fact]
    public async Task Return_OfThePurchaseThatMadeTheMemberGold_FallsBackAtOnce_AndVoidsTheThresholdVoucher()
    {
        var member = await Enroll();
        var big = A.Id("p");
        var bought = await Buy(member, 1500, big);
        Assert.Equal("gold", bought["tier"]!.GetValue<string>());
        var voucher = bought["vouchers"]![0]!["code"]!.GetValue<string>();

        using var r = await Return(member, big, 1500);
        var returned = await Json(r);
        var next = await Buy(member, 100);

        Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        Assert.Equal("member", returned["tier"]!.GetValue<string>());
        Assert.Equal(voucher, returned["vouchersVoided"]![0]!.GetValue<string>());
        Assert.Equal(100, next["pointsEarned"]!.GetValue<long>());
        Assert.Equal("member", (await Member(member))["tier"]!.GetValue<string>());
    }

    [Fact]
    public async Task ReturnThenCancel_WithNegativeBalancesOff_KeepsWhatTheReturnCouldNotTakeAsOwed()
    {
        var member = await Enroll();
        var purchase = A.Id("p");
        await Buy(member, 375, purchase);
        var coffees = new[] { A.Id("c"), A.Id("c") };
        foreach (var coffee in coffees)
        {
            using var redeemed = await client.PostJsonAsync($"/api/members/{member}/redemptions", $$"""{"redemptionId":"{{coffee}}","rewardId":"coffee"}""");
            Assert.Equal(HttpStatusCode.Created, redeemed.StatusCode);
        }

        using var returned = await Return(member, purchase, 375);
        var result = await Json(returned);
        using var cancelled = await client.PostAsync($"/api/members/{member}/redemptions/{coffees[0]}/cancel", null);
        var after = await Member(member);

        Assert.Equal((75L, 300L), (result["pointsReversed"]!.GetValue<long>(), result["pointsOwed"]!.GetValue<long>()));
        Assert.Equal(HttpStatusCode.OK, cancelled.StatusCode);
        Assert.Equal((0L, 150L), (after["points"]!["balance"]!.GetValue<long>(), after["points"]!["owed"]!.GetValue<long>()));
        var ledger = await client.LedgerAsync(member);
        Assert.Equal(0, ledger.Sum(e => e["points"]!.GetValue<long>()));
    }

    [Theory]
    [InlineData("locale", "und")]
    [InlineData("locale", "root")]
    [InlineData("locale", "x-klingon")]
    [InlineData("birthday", "1899-12-31")]
    [InlineData("birthday", "2026-11-25")]
    [InlineData("firstName", "Ann\u202Egro")]
    public async Task Enroll_WithAValueThatIsNotWhatItClaims_Returns400NamingTheField(string field, string value)
    {
        var body = new JsonObject { [field] = value };

        using var r = await client.PutJsonAsync($"/api/members/{A.Id("m")}", body.ToJsonString());

        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.True((await r.ReadProblemAsync()).Errors!.ContainsKey(field));
    }

    [Fact]
    public async Task Adjustment_ReasonWithBidiOverride_Returns400NamingReason()
    {
        var member = await Enroll();

        using var r = await Adjust(member, "5", "refund \u202Edlrow");

        Assert.True((await r.ReadProblemAsync()).Errors!.ContainsKey("reason"));
    }

    [Fact]
    public async Task Health_AnswersGetOnly()
    {
        using var get = await client.GetAsync("/api/health");
        using var post = await client.PostAsync("/api/health", null);
        using var delete = await client.DeleteAsync("/api/health");

        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal((HttpStatusCode.MethodNotAllowed, HttpStatusCode.MethodNotAllowed), (post.StatusCode, delete.StatusCode));
    }

    [Fact]
    public async Task Invocation_MessageIdWithLineBreaks_CannotForgeLogLines()
    {
        var body = new JsonObject
        {
            ["Data"] = new JsonObject { ["message"] = "not json" },
            ["Metadata"] = new JsonObject { ["Id"] = "abc\n2026-01-01 Error forged line\r\nmore", ["DequeueCount"] = 1 },
        };

        using var r = await client.InvokeAsync("RecordPurchaseFromQueue", body);

        await r.ReadInvocationResultAsync(HttpStatusCode.BadRequest);
        var lines = logs.Lines.Where(l => l.Contains("forged", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(lines);
        Assert.All(lines, l => Assert.DoesNotContain('\n', l));
        Assert.All(lines, l => Assert.DoesNotContain('\r', l));
    }

    [Fact]
    public async Task ASlowClient_IsAnsweredAndLoggedAsTheClientsFailure_NotAsAnAppError()
    {
        var capture = new LogCapture();
        var handler = new ClientFailures(new LoggerFactory([capture]).CreateLogger<ClientFailures>());
        var context = new DefaultHttpContext { RequestServices = app.Services };
        context.Request.Path = "/api/purchases";
        context.Response.Body = new MemoryStream();

        var handled = await handler.TryHandleAsync(context, new BadHttpRequestException("Reading the request body timed out due to data arriving too slowly.", 408), CancellationToken.None);

        Assert.True(handled);
        Assert.Equal(StatusCodes.Status408RequestTimeout, context.Response.StatusCode);
        var line = Assert.Single(capture.Lines);
        Assert.StartsWith("Information ", line, StringComparison.Ordinal);
        Assert.DoesNotContain(" at ", line, StringComparison.Ordinal);
    }
}
