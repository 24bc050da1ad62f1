using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Loyalty.Tests.Infrastructure;

namespace Loyalty.Tests.Api;

/// <summary>The SMS consent fields of the members API (the plain program: double opt-in off) and their OpenAPI schemas.</summary>
public sealed class SmsConsentApiTests(AppFixture fixture) : IClassFixture<AppFixture>
{
    [Fact]
    public async Task OpenApiDocument_DescribesTheConsentFields()
    {
        using var response = await fixture.Client.GetAsync("/api/openapi.json");
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var schemas = doc.RootElement.GetProperty("components").GetProperty("schemas");

        string[] Properties(string schema) => [.. schemas.GetProperty(schema).GetProperty("properties").EnumerateObject().Select(p => p.Name)];

        Assert.Contains("smsTransactional", Properties("MemberRequest"));
        Assert.Contains("smsConsentWording", Properties("MemberRequest"));
        Assert.Contains("sms", Properties("MemberResponse"));
        Assert.Equal(["consent", "since", "pendingUntil", "transactional"], Properties("SmsResponse"));
        Assert.Contains("consent", Properties("MemberExport"));
        Assert.Contains("wording", Properties("ConsentRecord"));
    }

    [Fact]
    public async Task Put_WithoutDoubleOptIn_GrantsAtOnce_AndShowsTheConsentSinceWhen_AndWithdrawingRevokes()
    {
        var id = A.Id("m");
        var granted = await PutAsync(id, """{"phone":"+14255550142","smsOptIn":true,"smsTransactional":true}""", HttpStatusCode.Created);
        var revoked = await PutAsync(id, """{"phone":"+14255550142"}""", HttpStatusCode.OK);

        Assert.Equal(("granted", true, true), (granted["sms"]!["consent"]!.GetValue<string>(), granted["sms"]!["transactional"]!.GetValue<bool>(), granted["smsOptIn"]!.GetValue<bool>()));
        Assert.Equal(A.Now, granted["sms"]!["since"]!.GetValue<DateTimeOffset>());
        Assert.Equal(("revoked", false, false), (revoked["sms"]!["consent"]!.GetValue<string>(), revoked["sms"]!["transactional"]!.GetValue<bool>(), revoked["smsOptIn"]!.GetValue<bool>()));
    }

    [Theory]
    [InlineData("x-actor", "an actor name far longer than the hundred characters a header may carry, which is refused with its name.", "x-actor")]
    [InlineData("x-actor", null, "smsConsentWording")]
    public async Task Put_WithAnEmptyActorOrAnOverlongWording_Answers400NamingTheField(string header, string? value, string field)
    {
        var body = new JsonObject { ["smsOptIn"] = true, ["smsConsentWording"] = value is null ? new string('w', 501) : "ok" };
        using var request = new HttpRequestMessage(HttpMethod.Put, $"/api/members/{A.Id("m")}") { Content = JsonContent.Create(body) };
        request.Headers.TryAddWithoutValidation(header, value ?? "till-3");

        using var response = await fixture.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.True(JsonNode.Parse(await response.Content.ReadAsStringAsync())!["errors"]![field] is not null, field);
    }

    private async Task<JsonNode> PutAsync(string id, string json, HttpStatusCode expected)
    {
        using var response = await fixture.Client.PutAsync($"/api/members/{id}", new StringContent(json, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(expected, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }
}
