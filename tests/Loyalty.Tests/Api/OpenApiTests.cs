using System.Net;
using System.Text.Json;
using Loyalty.Tests.Infrastructure;

namespace Loyalty.Tests.Api;

public sealed class OpenApiTests(AppFixture fixture) : IClassFixture<AppFixture>
{
    [Fact]
    public async Task OpenApiDocument_DescribesTheApiWithSchemasAndProblems()
    {
        using var response = await fixture.Client.GetAsync("/api/openapi.json");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var paths = doc.RootElement.GetProperty("paths");
        Assert.True(paths.TryGetProperty("/api/purchases", out var purchases));
        Assert.True(paths.TryGetProperty("/api/members/{memberId}", out _));
        Assert.True(paths.TryGetProperty("/api/members/{memberId}/ledger", out _));
        var post = purchases.GetProperty("post");
        Assert.True(post.GetProperty("requestBody").GetProperty("content").TryGetProperty("application/json", out _));
        Assert.True(post.GetProperty("responses").TryGetProperty("201", out _));
        Assert.True(post.GetProperty("responses").TryGetProperty("400", out var bad));
        Assert.True(bad.GetProperty("content").TryGetProperty("application/problem+json", out _));
        var schemas = doc.RootElement.GetProperty("components").GetProperty("schemas");
        Assert.True(schemas.TryGetProperty("PurchaseRequest", out _));
        Assert.True(schemas.TryGetProperty("PurchaseResult", out _));
    }

    [Theory]
    [InlineData("/api/members", "get")]
    [InlineData("/api/purchases/quote", "post")]
    [InlineData("/api/vouchers/{code}", "get")]
    [InlineData("/api/vouchers/{code}/uses", "post")]
    [InlineData("/api/members/{memberId}/vouchers", "get")]
    [InlineData("/api/members/{memberId}/holds", "post")]
    [InlineData("/api/members/{memberId}/holds/{holdId}", "get")]
    [InlineData("/api/members/{memberId}/holds/{holdId}/capture", "post")]
    [InlineData("/api/members/{memberId}/holds/{holdId}/release", "post")]
    public async Task OpenApiDocument_DescribesTheTill(string path, string method)
    {
        using var response = await fixture.Client.GetAsync("/api/openapi.json");
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        Assert.True(doc.RootElement.GetProperty("paths").TryGetProperty(path, out var item), path);
        Assert.True(item.TryGetProperty(method, out var operation), $"{method} {path}");
        Assert.True(operation.GetProperty("responses").EnumerateObject().Any(r => r.Name.StartsWith('2')), $"{method} {path} has a success response");
    }
}
