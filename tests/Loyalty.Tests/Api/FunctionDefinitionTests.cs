using System.Text.Json;
using Loyalty.Tests.Infrastructure;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Loyalty.Tests.Api;

/// <summary>The function.json files are what the Functions host routes by: each HTTP function must match an
/// endpoint of the handler, and each /api endpoint must have its function, or Azure would not reach it.</summary>
public sealed class FunctionDefinitionTests(Azurite azurite)
{
    private static readonly string OutputDir = AppContext.BaseDirectory;

    [Fact]
    public async Task HttpFunctions_AndApiEndpoints_MatchOneToOne()
    {
        await using var app = new LoyaltyApp(azurite);
        _ = app.Server;
        var endpoints = app.Services.GetRequiredService<EndpointDataSource>().Endpoints
            .OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/api/", StringComparison.Ordinal) == true)
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"])
                .Select(m => $"{m.ToUpperInvariant()} {e.RoutePattern.RawText}"))
            .ToHashSet();

        var functions = HttpFunctions().SelectMany(f => f.Methods.Select(m => $"{m.ToUpperInvariant()} /api/{f.Route}")).ToHashSet();

        Assert.NotEmpty(functions);
        Assert.Equal(endpoints.Order(), functions.Order());
    }

    [Fact]
    public void HttpFunctions_RequireAFunctionKey_ExceptHealth()
    {
        foreach (var f in HttpFunctions())
        {
            Assert.Equal(f.Name == "Health" ? "anonymous" : "function", f.AuthLevel);
        }
    }

    [Fact]
    public void HostJson_IsACustomHandlerWithForwardingAndTheV4Bundle()
    {
        using var host = JsonDocument.Parse(File.ReadAllText(Path.Combine(OutputDir, "host.json")));
        var root = host.RootElement;

        Assert.Equal("2.0", root.GetProperty("version").GetString());
        Assert.Equal("Loyalty.Functions", root.GetProperty("customHandler").GetProperty("description").GetProperty("defaultExecutablePath").GetString());
        Assert.True(root.GetProperty("customHandler").GetProperty("enableForwardingHttpRequest").GetBoolean());
        Assert.Equal("[4.*, 5.0.0)", root.GetProperty("extensionBundle").GetProperty("version").GetString());
        Assert.True(File.Exists(Path.Combine(OutputDir, "Loyalty.Functions")), "the handler executable sits beside host.json");
    }

    private sealed record HttpFunction(string Name, string AuthLevel, string Route, string[] Methods);

    private static IEnumerable<HttpFunction> HttpFunctions()
    {
        foreach (var file in Directory.GetFiles(OutputDir, "function.json", SearchOption.AllDirectories))
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(file));
            var trigger = doc.RootElement.GetProperty("bindings").EnumerateArray()
                .FirstOrDefault(b => b.GetProperty("type").GetString() == "httpTrigger");
            if (trigger.ValueKind == JsonValueKind.Object)
            {
                yield return new HttpFunction(
                    Path.GetFileName(Path.GetDirectoryName(file))!,
                    trigger.GetProperty("authLevel").GetString()!,
                    trigger.GetProperty("route").GetString()!,
                    [.. trigger.GetProperty("methods").EnumerateArray().Select(m => m.GetString()!)]);
            }
        }
    }
}
