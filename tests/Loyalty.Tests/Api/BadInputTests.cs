using System.Net;
using System.Text;
using Loyalty.Tests.Infrastructure;

namespace Loyalty.Tests.Api;

/// <summary>Every kind of bad input gets a 4xx problem naming the field, and records nothing.</summary>
public sealed class BadInputTests(AppFixture fixture) : IClassFixture<AppFixture>
{
    private const string Valid = """{"purchaseId":"p-1","memberId":"MEMBER","amount":12.5,"currency":"USD","occurredAt":"2026-11-24T10:00:00Z"}""";

    public static TheoryData<string, string, string> BadPurchases => new()
    {
        { """{"purchaseId":"p-1",""", "body", "malformed-json" },
        { "[1,2,3]", "body", "malformed-json" },
        { "null", "body", "validation" },
        { """{"purchaseId":"p-1","memberId":"MEMBER","amount":"12.5","currency":"USD","occurredAt":"2026-11-24T10:00:00Z"}""", "amount", "malformed-json" },
        { """{"purchaseId":12,"memberId":"MEMBER","amount":12.5,"currency":"USD","occurredAt":"2026-11-24T10:00:00Z"}""", "purchaseId", "malformed-json" },
        { """{"purchaseId":"p-1","memberId":"MEMBER","amount":12.5,"currency":"USD","occurredAt":"2026-11-24T10:00:00Z","lines":"many"}""", "lines", "malformed-json" },
        { """{"purchaseId":"p-1","purchaseId":"p-2","memberId":"MEMBER","amount":12.5,"currency":"USD","occurredAt":"2026-11-24T10:00:00Z"}""", "purchaseId", "malformed-json" },
        { """{"memberId":"MEMBER","amount":12.5,"currency":"USD","occurredAt":"2026-11-24T10:00:00Z"}""", "purchaseId", "validation" },
        { """{"purchaseId":"p-1","amount":12.5,"currency":"USD","occurredAt":"2026-11-24T10:00:00Z"}""", "memberId", "validation" },
        { """{"purchaseId":"p-1","memberId":"MEMBER","currency":"USD","occurredAt":"2026-11-24T10:00:00Z"}""", "amount", "validation" },
        { """{"purchaseId":"p-1","memberId":"MEMBER","amount":12.5,"occurredAt":"2026-11-24T10:00:00Z"}""", "currency", "validation" },
        { """{"purchaseId":"p-1","memberId":"MEMBER","amount":12.5,"currency":"USD"}""", "occurredAt", "validation" },
        { """{"purchaseId":"p/1","memberId":"MEMBER","amount":12.5,"currency":"USD","occurredAt":"2026-11-24T10:00:00Z"}""", "purchaseId", "validation" },
        { """{"purchaseId":"p\\1","memberId":"MEMBER","amount":12.5,"currency":"USD","occurredAt":"2026-11-24T10:00:00Z"}""", "purchaseId", "validation" },
        { """{"purchaseId":"p#1","memberId":"MEMBER","amount":12.5,"currency":"USD","occurredAt":"2026-11-24T10:00:00Z"}""", "purchaseId", "validation" },
        { """{"purchaseId":"p?1","memberId":"MEMBER","amount":12.5,"currency":"USD","occurredAt":"2026-11-24T10:00:00Z"}""", "purchaseId", "validation" },
        { """{"purchaseId":"p\u00011","memberId":"MEMBER","amount":12.5,"currency":"USD","occurredAt":"2026-11-24T10:00:00Z"}""", "purchaseId", "validation" },
        { $$"""{"purchaseId":"{{new string('p', 65)}}","memberId":"MEMBER","amount":12.5,"currency":"USD","occurredAt":"2026-11-24T10:00:00Z"}""", "purchaseId", "validation" },
        { """{"purchaseId":"","memberId":"MEMBER","amount":12.5,"currency":"USD","occurredAt":"2026-11-24T10:00:00Z"}""", "purchaseId", "validation" },
        { """{"purchaseId":"p-1","memberId":"MEMBER","amount":-5,"currency":"USD","occurredAt":"2026-11-24T10:00:00Z"}""", "amount", "validation" },
        { """{"purchaseId":"p-1","memberId":"MEMBER","amount":0,"currency":"USD","occurredAt":"2026-11-24T10:00:00Z"}""", "amount", "validation" },
        { """{"purchaseId":"p-1","memberId":"MEMBER","amount":NaN,"currency":"USD","occurredAt":"2026-11-24T10:00:00Z"}""", "amount", "malformed-json" },
        { """{"purchaseId":"p-1","memberId":"MEMBER","amount":"NaN","currency":"USD","occurredAt":"2026-11-24T10:00:00Z"}""", "amount", "malformed-json" },
        { """{"purchaseId":"p-1","memberId":"MEMBER","amount":1e400,"currency":"USD","occurredAt":"2026-11-24T10:00:00Z"}""", "amount", "malformed-json" },
        { """{"purchaseId":"p-1","memberId":"MEMBER","amount":99999999999,"currency":"USD","occurredAt":"2026-11-24T10:00:00Z"}""", "amount", "validation" },
        { """{"purchaseId":"p-1","memberId":"MEMBER","amount":12.505,"currency":"USD","occurredAt":"2026-11-24T10:00:00Z"}""", "amount", "validation" },
        { """{"purchaseId":"p-1","memberId":"MEMBER","amount":100.5,"currency":"JPY","occurredAt":"2026-11-24T10:00:00Z"}""", "currency", "validation" },
        { """{"purchaseId":"p-1","memberId":"MEMBER","amount":12.5,"currency":"XYZ","occurredAt":"2026-11-24T10:00:00Z"}""", "currency", "validation" },
        { """{"purchaseId":"p-1","memberId":"MEMBER","amount":12.5,"currency":"usd","occurredAt":"2026-11-24T10:00:00Z"}""", "currency", "validation" },
        { """{"purchaseId":"p-1","memberId":"MEMBER","amount":12.5,"currency":"USD","occurredAt":"2026-11-24T10:00:00"}""", "occurredAt", "validation" },
        { """{"purchaseId":"p-1","memberId":"MEMBER","amount":12.5,"currency":"USD","occurredAt":"2026-11-24"}""", "occurredAt", "validation" },
        { """{"purchaseId":"p-1","memberId":"MEMBER","amount":12.5,"currency":"USD","occurredAt":"yesterday"}""", "occurredAt", "validation" },
        { """{"purchaseId":"p-1","memberId":"MEMBER","amount":12.5,"currency":"USD","occurredAt":"2026-11-24T12:06:00Z"}""", "occurredAt", "validation" },
        { """{"purchaseId":"p-1","memberId":"MEMBER","amount":12.5,"currency":"USD","occurredAt":"2026-02-30T10:00:00Z"}""", "occurredAt", "validation" },
        { """{"purchaseId":"p-1","memberId":"MEMBER","amount":12.5,"currency":"USD","occurredAt":"2026-11-24T10:00:00Z","storeId":"store/1"}""", "storeId", "validation" },
        { """{"purchaseId":"p-1","memberId":"MEMBER","amount":12.5,"currency":"USD","occurredAt":"2026-11-24T10:00:00Z","lines":[{"sku":"A","quantity":0,"amount":1}]}""", "lines[0].quantity", "validation" },
        { """{"purchaseId":"p-1","memberId":"MEMBER","amount":12.5,"currency":"USD","occurredAt":"2026-11-24T10:00:00Z","lines":[{"quantity":1,"amount":1}]}""", "lines[0].sku", "validation" },
        { """{"purchaseId":"p-1","memberId":"MEMBER","amount":12.5,"currency":"USD","occurredAt":"2026-11-24T10:00:00Z","lines":[{"sku":"A\u0007","quantity":1,"amount":1}]}""", "lines[0].sku", "validation" },
        { """{"purchaseId":"p-1","memberId":"MEMBER","amount":12.5,"currency":"USD","occurredAt":"2026-11-24T10:00:00Z","lines":[null]}""", "lines[0]", "validation" },
    };

    [Theory]
    [MemberData(nameof(BadPurchases))]
    public async Task RecordPurchase_BadInput_Returns400NamingTheField(string body, string field, string problem)
    {
        var member = await fixture.EnrollAsync();

        using var response = await fixture.Client.PostJsonAsync("/api/purchases", body.Replace("MEMBER", member, StringComparison.Ordinal));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var p = await response.ReadProblemAsync();
        Assert.Equal("/problems/" + problem, p.Type);
        Assert.NotNull(p.Errors);
        Assert.Contains(field, p.Errors.Keys);
        await AssertNothingRecorded(member);
    }

    [Theory]
    [InlineData(""","amout":12.5""", "amout")]
    [InlineData(""","extra":{"deep":[1,"x",null]}""", "extra")]
    [InlineData(""","lines":[{"sku":"A","qty":1,"amount":1}]""", "lines[0].qty")]
    public async Task RecordPurchase_UnknownField_Is400NamingIt_AndRecordsNothing(string extra, string field)
    {
        var member = await fixture.EnrollAsync();
        var body = Valid.Replace("MEMBER", member, StringComparison.Ordinal)[..^1] + extra + "}";

        using var response = await fixture.Client.PostJsonAsync("/api/purchases", body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var p = await response.ReadProblemAsync();
        Assert.Equal("/problems/malformed-json", p.Type);
        Assert.NotNull(p.Errors);
        Assert.Equal([$"Unknown field {field}: this request has no such field."], p.Errors[field]);
        await AssertNothingRecorded(member);
    }

    [Fact]
    public async Task RecordPurchase_SeveralValuesOfTheWrongType_AreNamedTogether_WithTheMissingFields()
    {
        using var response = await fixture.Client.PostJsonAsync("/api/purchases", """{"amount":"abc","lines":5}""");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var p = await response.ReadProblemAsync();
        Assert.Equal("/problems/malformed-json", p.Type);
        Assert.Equal(["amount", "currency", "lines", "memberId", "occurredAt", "purchaseId"], p.Errors!.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(["Wrong type: Value is \"string\" but should be \"number\"."], p.Errors["amount"]);
        Assert.Equal(["Required."], p.Errors["purchaseId"]);
    }

    [Fact]
    public async Task RecordPurchase_WrongTypesInLines_AreNamedByTheirPath_AndRecordNothing()
    {
        var member = await fixture.EnrollAsync();
        var body = Valid.Replace("MEMBER", member, StringComparison.Ordinal)[..^1]
            + ""","storeId":7,"lines":[{"sku":"A","quantity":1,"amount":1},{"sku":1,"quantity":"2","amount":true},null]}""";

        using var response = await fixture.Client.PostJsonAsync("/api/purchases", body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var p = await response.ReadProblemAsync();
        Assert.Equal("/problems/malformed-json", p.Type);
        Assert.Equal(["lines[1].amount", "lines[1].quantity", "lines[1].sku", "lines[2]", "storeId"], p.Errors!.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(["Required."], p.Errors["lines[2]"]);
        await AssertNothingRecorded(member);
    }

    [Fact]
    public async Task RecordPurchase_ThousandsOfWrongValues_NameTheFirstFiftyOnly()
    {
        var body = Valid[..^1] + $$""","lines":[{{string.Join(",", Enumerable.Repeat("1", 5000))}}]}""";

        using var response = await fixture.Client.PostJsonAsync("/api/purchases", body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var p = await response.ReadProblemAsync();
        Assert.Equal(51, p.Errors!.Count);
        Assert.Equal(["5000 fields are at fault; the first 50 are listed."], p.Errors["body"]);
    }

    [Fact]
    public async Task Adjustment_WrongTypes_AreNamedTogether_AndAFractionIsOneOfThem()
    {
        var member = await fixture.EnrollAsync();

        using var response = await fixture.Client.PostJsonAsync($"/api/members/{member}/adjustments", """{"adjustmentId":5,"points":10.5,"reason":["x"]}""");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var p = await response.ReadProblemAsync();
        Assert.Equal("/problems/malformed-json", p.Type);
        Assert.Equal(["adjustmentId", "points", "reason"], p.Errors!.Keys.Order(StringComparer.Ordinal));
        await AssertNothingRecorded(member);
    }

    [Fact]
    public async Task PutMember_WrongTypes_AreNamedTogether()
    {
        using var response = await fixture.Client.PutJsonAsync($"/api/members/{A.Id("m")}", """{"phone":123,"smsOptIn":"yes","firstName":{}}""");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(["firstName", "phone", "smsOptIn"], (await response.ReadProblemAsync()).Errors!.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void QueueMessage_WithFieldsThisVersionDoesNotKnow_IsRead()
    {
        var json = System.Text.Encoding.UTF8.GetBytes(Valid[..^1] + ""","extra":{"deep":[1,"x",null]},"note":42}""");

        var (request, problem) = Loyalty.Functions.Http.JsonBody.Parse<Loyalty.Functions.Purchases.PurchaseRequest>(json, skipUnknown: true);

        Assert.Null(problem);
        Assert.Equal("p-1", request?.PurchaseId);
    }

    [Fact]
    public async Task RecordPurchase_HugeBody_Returns413()
    {
        var member = await fixture.EnrollAsync();
        var body = Valid.Replace("MEMBER", member, StringComparison.Ordinal).Replace("}", $",\"pad\":\"{new string('x', 100_000)}\"}}", StringComparison.Ordinal);

        using var response = await fixture.Client.PostJsonAsync("/api/purchases", body);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("/problems/payload-too-large", (await response.ReadProblemAsync()).Type);
        await AssertNothingRecorded(member);
    }

    [Fact]
    public async Task RecordPurchase_NotJson_Returns415()
    {
        using var response = await fixture.Client.SendJsonAsync(HttpMethod.Post, "/api/purchases", Valid, "text/plain");

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal("/problems/unsupported-media-type", (await response.ReadProblemAsync()).Type);
    }

    [Fact]
    public async Task RecordPurchase_InvalidUtf8_Returns400()
    {
        var content = new ByteArrayContent([.. Encoding.UTF8.GetBytes("{\"purchaseId\":\""), 0xff, 0xfe, .. Encoding.UTF8.GetBytes("\"}")]);
        content.Headers.ContentType = new("application/json");

        using var response = await fixture.Client.PostAsync("/api/purchases", content);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("/problems/malformed-json", (await response.ReadProblemAsync()).Type);
    }

    public static TheoryData<string, string> BadMembers => new()
    {
        { """{"phone":"12345"}""", "phone" },
        { """{"phone":"+1 555 0100 0000 0000"}""", "phone" },
        { """{"phone":123}""", "phone" },
        { """{"birthday":"1990-02-29"}""", "birthday" },
        { """{"birthday":"29.02.1992"}""", "birthday" },
        { """{"locale":"not a locale"}""", "locale" },
        { """{"locale":"xx-YY-zz"}""", "locale" },
        { """{"timeZone":"Mars/Olympus"}""", "timeZone" },
        { """{"timeZone":"../../etc/passwd"}""", "timeZone" },
        { """{"smsOptIn":"yes"}""", "smsOptIn" },
        { """{"firstName":"Al\u0000ice"}""", "firstName" },
        { $$"""{"firstName":"{{new string('a', 101)}}"}""", "firstName" },
        { """{"referredBy":"a/b"}""", "referredBy" },
    };

    [Theory]
    [MemberData(nameof(BadMembers))]
    public async Task PutMember_BadInput_Returns400NamingTheField(string body, string field)
    {
        var id = A.Id("m");

        using var response = await fixture.Client.PutJsonAsync($"/api/members/{id}", body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var p = await response.ReadProblemAsync();
        Assert.Contains(field, p.Errors!.Keys);
        using var get = await fixture.Client.GetAsync($"/api/members/{id}");
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
    }

    [Theory]
    [InlineData("a%2Fb")]
    [InlineData("a%5Cb")]
    [InlineData("a%23b")]
    [InlineData("a%3Fb")]
    [InlineData("a%20b")]
    [InlineData("0123456789012345678901234567890123456789012345678901234567890123456789")]
    public async Task MemberRoutes_InvalidId_Return400(string id)
    {
        using var put = await fixture.Client.PutJsonAsync($"/api/members/{id}", "{}");
        using var get = await fixture.Client.GetAsync($"/api/members/{id}");
        using var ledger = await fixture.Client.GetAsync($"/api/members/{id}/ledger");

        Assert.Equal([HttpStatusCode.BadRequest, HttpStatusCode.BadRequest, HttpStatusCode.BadRequest], new[] { put.StatusCode, get.StatusCode, ledger.StatusCode });
        Assert.Contains("memberId", (await get.ReadProblemAsync()).Errors!.Keys);
    }

    [Theory]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=201", "limit")]
    [InlineData("limit=abc", "limit")]
    [InlineData("limit=-1", "limit")]
    [InlineData("continuation=xyz", "continuation")]
    [InlineData("continuation=0", "continuation")]
    public async Task GetLedger_BadQuery_Returns400(string query, string field)
    {
        var member = await fixture.EnrollAsync();

        using var response = await fixture.Client.GetAsync($"/api/members/{member}/ledger?{query}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(field, (await response.ReadProblemAsync()).Errors!.Keys);
    }

    private async Task AssertNothingRecorded(string member)
    {
        using var response = await fixture.Client.GetAsync($"/api/members/{member}/ledger");
        Assert.Equal("{\"entries\":[],\"continuation\":null}", await response.Content.ReadAsStringAsync());
    }
}
