using System.Text.Json;
using Json.Schema;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Loyalty.Functions.Http;

/// <summary>The JSON schemas of request bodies, taken from the OpenAPI document the app serves (the one the README,
/// Redocly, Kiota and the tests read), so that what the document says a request is and what <see cref="JsonBody"/>
/// checks cannot drift apart. The document is built once, on the first body read.</summary>
public sealed class RequestSchemas(IServiceProvider services)
{
    private static readonly Uri DocumentUri = new("https://loyalty.invalid/api/openapi.json");
    private readonly Lazy<Task<Dictionary<string, JsonSchema>>> schemas = new(() => LoadAsync(services));

    /// <summary>The schema of <typeparamref name="T"/>'s body, or null when the document does not describe it.</summary>
    public async Task<JsonSchema?> ForAsync<T>() =>
        (await schemas.Value).GetValueOrDefault(typeof(T).Name);

    private static async Task<Dictionary<string, JsonSchema>> LoadAsync(IServiceProvider services)
    {
        var provider = services.GetRequiredKeyedService<IOpenApiDocumentProvider>(ApiContract.DocumentName);
        var document = await provider.GetOpenApiDocumentAsync(CancellationToken.None);
        using var json = JsonDocument.Parse(await document.SerializeAsJsonAsync(OpenApiSpecVersion.OpenApi3_1, CancellationToken.None));
        var root = json.RootElement.Clone();
        var options = new BuildOptions { SchemaRegistry = new SchemaRegistry(), Dialect = Dialect.Draft202012 };
        options.SchemaRegistry.Register(new JsonElementBaseDocument(root, DocumentUri));
        return root.GetProperty("components").GetProperty("schemas").EnumerateObject()
            .Where(s => s.Name.EndsWith("Request", StringComparison.Ordinal))
            .ToDictionary(
                s => s.Name,
                s => JsonSchema.FromText($$"""{"$ref":"{{DocumentUri}}#/components/schemas/{{s.Name}}"}""", options, new Uri($"https://loyalty.invalid/requests/{s.Name}")),
                StringComparer.Ordinal);
    }
}
