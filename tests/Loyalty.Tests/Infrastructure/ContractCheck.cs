using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.RegularExpressions;
using Json.Schema;

namespace Loyalty.Tests.Infrastructure;

/// <summary>Checks every answer a test sees against the OpenAPI document the app serves: the status must be one the
/// operation documents, and the body must match the schema documented for it (JSON Schema 2020-12, as OpenAPI 3.1
/// uses, with formats such as date-time asserted). A mismatch throws, so the test that sent the request fails.
/// Answers to routes outside the document (the host's probe, function invocations) are checked only when they are
/// problems.</summary>
public sealed class ContractCheck : DelegatingHandler
{
    private static readonly Uri DocumentUri = new("https://loyalty.invalid/api/openapi.json");
    private readonly SemaphoreSlim loading = new(1, 1);
    private readonly ConcurrentDictionary<string, JsonSchema> schemas = new(StringComparer.Ordinal);
    private JsonElement? document;
    private BuildOptions? options;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        var response = await base.SendAsync(request, ct);
        if (request.RequestUri is not { } uri || uri.AbsolutePath == "/api/openapi.json")
        {
            return response;
        }

        var root = await DocumentAsync(new Uri(uri, "/api/openapi.json"), ct);
        var mediaType = response.Content.Headers.ContentType?.MediaType;
        var status = ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
        string? pointer;
        if (Operation(root, request.Method.Method.ToLowerInvariant(), uri.AbsolutePath) is not var (path, operation))
        {
            pointer = mediaType == "application/problem+json" ? "#/components/schemas/Problem" : null;
        }
        else
        {
            var where = $"{request.Method} {path} answered {status}";
            Assert.True(operation.GetProperty("responses").TryGetProperty(status, out var documented), $"{where}, which the document does not list.");
            if (!documented.TryGetProperty("content", out var content))
            {
                pointer = null;
            }
            else
            {
                Assert.True(mediaType is not null && content.TryGetProperty(mediaType, out _), $"{where} as {mediaType}; the document says {content.GetRawText()}.");
                pointer = $"#/paths/{Escape(path)}/{request.Method.Method.ToLowerInvariant()}/responses/{status}/content/{Escape(mediaType!)}/schema";
            }
        }

        if (pointer is not null)
        {
            await response.Content.LoadIntoBufferAsync(ct);
            var body = await response.Content.ReadAsStringAsync(ct);
            using var json = JsonDocument.Parse(body);
            var results = Schema(pointer).Evaluate(json.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List, RequireFormatValidation = true });
            Assert.True(results.IsValid, $"{request.Method} {uri.PathAndQuery} answered {status} with a body that does not match the document ({pointer}):\n{body}\n"
                + string.Join("\n", (results.Details ?? []).Where(d => d.Errors is { Count: > 0 }).Select(d => $"  {d.InstanceLocation}: {string.Join("; ", d.Errors!.Values)}")));
        }

        return response;
    }

    private JsonSchema Schema(string pointer) =>
        schemas.GetOrAdd(pointer, p => JsonSchema.FromText($$"""{"$ref":"{{DocumentUri}}{{p}}"}""", options!, new Uri($"https://loyalty.invalid/checks/{schemas.Count}-{Guid.NewGuid():N}")));

    private async Task<JsonElement> DocumentAsync(Uri address, CancellationToken ct)
    {
        await loading.WaitAsync(ct);
        try
        {
            if (document is null)
            {
                using var response = await base.SendAsync(new HttpRequestMessage(HttpMethod.Get, address), ct);
                response.EnsureSuccessStatusCode();
                using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
                var root = json.RootElement.Clone();
                options = new BuildOptions { SchemaRegistry = new SchemaRegistry(), Dialect = Dialect.Draft202012 };
                options.SchemaRegistry.Register(new JsonElementBaseDocument(root, DocumentUri));
                document = root;
            }

            return document.Value;
        }
        finally
        {
            loading.Release();
        }
    }

    // The document's path template that the request's path fills in, and its operation for the method.
    private static (string Path, JsonElement Operation)? Operation(JsonElement root, string method, string requestPath)
    {
        foreach (var path in root.GetProperty("paths").EnumerateObject())
        {
            var template = "^" + Regex.Replace(Regex.Escape(path.Name), @"\\\{\w+}", "[^/]+") + "$";
            if (Regex.IsMatch(requestPath, template) && path.Value.TryGetProperty(method, out var operation))
            {
                return (path.Name, operation);
            }
        }

        return null;
    }

    // JSON Pointer escaping (RFC 6901), then URI fragment escaping.
    private static string Escape(string token) => Uri.EscapeDataString(token.Replace("~", "~0").Replace("/", "~1"));

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            loading.Dispose();
        }

        base.Dispose(disposing);
    }
}
