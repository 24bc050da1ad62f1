using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Json.Schema;
using Loyalty.Adapters.Json;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Loyalty.Functions.Http;

/// <summary>Reads a JSON request body strictly: a size limit, numbers as numbers, no duplicate properties, no unknown
/// properties (a typo such as <c>amout</c> is named, not silently dropped), and every failure as a problem that names
/// the field at fault. Values of the wrong JSON type are found all at once by the request's schema in the OpenAPI
/// document (<see cref="RequestSchemas"/>), where the serializer would stop at the first. Messages from queues are read the same way but keep unknown properties out of the way: a
/// producer that adds a field must not send purchases to the poison queue.</summary>
public static class JsonBody
{
    /// <summary>Largest body accepted by the API.</summary>
    public const int MaxBytes = 64 * 1024;

    /// <summary>Most fields one problem names.</summary>
    public const int MaxFieldsListed = 50;

    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        NumberHandling = JsonNumberHandling.Strict,
        AllowDuplicateProperties = false,
        MaxDepth = 16,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        TypeInfoResolver = ApiJson.Default,
    };

    private static readonly JsonSerializerOptions Tolerant = new(Options) { UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip };

    /// <summary>Declares the JSON body an endpoint reads with <see cref="ReadAsync"/>, and the problems reading it answers.</summary>
    public static RouteHandlerBuilder AcceptsJson<T>(this RouteHandlerBuilder endpoint)
        where T : notnull =>
        endpoint.Accepts<T>("application/json")
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);

    /// <summary>Declares the answers of an operation the rules may refuse: 409 (the state of something stands in the way,
    /// or the id was used for something else) and 422 (the request cannot be met); see <see cref="Problems.Refused"/>.</summary>
    public static RouteHandlerBuilder ProducesRefusals(this RouteHandlerBuilder endpoint) =>
        endpoint.ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status422UnprocessableEntity);

    public static async Task<(T? Value, ProblemHttpResult? Problem)> ReadAsync<T>(HttpRequest request, CancellationToken ct)
        where T : class
    {
        if (!request.HasJsonContentType())
        {
            return (null, TypedResults.Problem("Send the body as JSON with the header Content-Type: application/json.", statusCode: 415, title: "Unsupported media type", type: Problems.UnsupportedMediaType));
        }

        if (request.ContentLength > MaxBytes)
        {
            await DiscardAsync(request, ct);
            return (null, TooLarge());
        }

        var body = await BoundedBody.ReadAsync(request, MaxBytes, ct);
        if (body is null)
        {
            return (null, TooLarge());
        }

        // The schemas come from the OpenAPI document, built on first use: only a body the serializer rejects needs them.
        var read = Parse<T>(body.Value.Span);
        return read.Problem is null || await request.HttpContext.RequestServices.GetRequiredService<RequestSchemas>().ForAsync<T>() is not { } schema
            ? read
            : Parse<T>(body.Value.Span, schema: schema);
    }

    /// <summary>Parses a JSON document into <typeparamref name="T"/>, or explains in a problem why it cannot.
    /// <paramref name="skipUnknown"/> for a queue message: properties <typeparamref name="T"/> does not have are skipped.
    /// With <paramref name="schema"/>, every value of the wrong JSON type is named in one problem: a body the serializer
    /// cannot read is checked against the schema (only then: a body that reads costs no second parse). A caller with types
    /// of its own (the CLI's import rows) gives <paramref name="type"/>, from options copied from <see cref="Options"/>.</summary>
    public static (T? Value, ProblemHttpResult? Problem) Parse<T>(ReadOnlySpan<byte> json, bool skipUnknown = false, JsonSchema? schema = null, JsonTypeInfo<T>? type = null)
        where T : class
    {
        try
        {
            var value = JsonSerializer.Deserialize(json, type ?? (skipUnknown ? Tolerant : Options).For<T>());
            return value is null ? (null, Problems.Invalid("body", "A JSON object is required.")) : (value, null);
        }
        catch (JsonException) when (schema is not null && WrongTypes(json, schema) is { } wrong)
        {
            return (null, Malformed(wrong));
        }
        catch (JsonException e)
        {
            var field = FieldOf(e.Path);
            string message;
            if (UnknownProperty(e) is { } unknown)
            {
                field = field == "body" ? unknown : field.EndsWith(unknown, StringComparison.Ordinal) ? field : $"{field}.{unknown}";
                message = $"Unknown field {field}: this request has no such field.";
            }
            else
            {
                message = e is FieldException rule ? rule.Message.Split(" Path:", 2)[0]
                    : field == "body" ? "The body is not valid JSON." : "Wrong type or malformed value.";
            }

            return (null, Malformed(new Dictionary<string, string[]> { [field] = [message] }));
        }
    }

    private static ProblemHttpResult Malformed(IDictionary<string, string[]> errors) =>
        Problems.Invalid(errors, "The body could not be read as JSON of the expected shape.", title: "Malformed JSON", type: Problems.MalformedJson);

    // Every value of the wrong JSON type in the body, by its JSON path (lines[0].amount), with the fields the schema
    // requires that are missing or null beside them, so that one answer names them all; null when no value has the wrong
    // type (null counts as missing: the validator says "Required.") or the body is not JSON (the serializer then names
    // where it breaks). Ranges, patterns and the like stay with the endpoint's Validator, which words them for people.
    private static Dictionary<string, string[]>? WrongTypes(ReadOnlySpan<byte> json, JsonSchema schema)
    {
        JsonDocument document;
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = Options.MaxDepth });
            document = JsonDocument.ParseValue(ref reader);
        }
        catch (JsonException)
        {
            return null;
        }

        using (document)
        {
            var root = document.RootElement;
            var results = schema.Evaluate(root, new EvaluationOptions { OutputFormat = OutputFormat.List });
            var errors = new Dictionary<string, List<string>>(StringComparer.Ordinal);
            var wrongType = false;
            foreach (var detail in results.Details ?? [])
            {
                foreach (var (keyword, message) in detail.Errors ?? new Dictionary<string, string>())
                {
                    var (field, value) = Locate(root, detail.InstanceLocation.ToString());
                    if (keyword == "type" && value.ValueKind != JsonValueKind.Null)
                    {
                        wrongType = true;
                        Add(errors, field, $"Wrong type: {message}.");
                    }
                    else if (keyword == "type")
                    {
                        Add(errors, field, "Required.");
                    }
                    else if (keyword == "required")
                    {
                        foreach (var name in Missing(message))
                        {
                            Add(errors, field == "body" ? name : $"{field}.{name}", "Required.");
                        }
                    }
                }
            }

            if (!wrongType)
            {
                return null;
            }

            // A 64 KB array of wrong values would otherwise be answered with megabytes of errors.
            var listed = errors.Take(MaxFieldsListed).ToDictionary(e => e.Key, e => e.Value.ToArray(), StringComparer.Ordinal);
            if (errors.Count > MaxFieldsListed)
            {
                listed["body"] = [$"{errors.Count} fields are at fault; the first {MaxFieldsListed} are listed."];
            }

            return listed;
        }
    }

    private static void Add(Dictionary<string, List<string>> errors, string field, string message)
    {
        if (!errors.TryGetValue(field, out var list))
        {
            errors[field] = list = [];
        }

        if (!list.Contains(message))
        {
            list.Add(message);
        }
    }

    // A JSON Pointer into the body ("/lines/0/amount") as the field's JSON path ("lines[0].amount"), and the value there.
    private static (string Field, JsonElement Value) Locate(JsonElement root, string pointer)
    {
        var field = new System.Text.StringBuilder();
        var value = root;
        foreach (var token in pointer.Split('/').Skip(1).Select(t => t.Replace("~1", "/").Replace("~0", "~")))
        {
            if (value.ValueKind == JsonValueKind.Array && int.TryParse(token, out var index))
            {
                field.Append('[').Append(index).Append(']');
                value = value[index];
            }
            else
            {
                field.Append(field.Length == 0 ? "" : ".").Append(token);
                value = value.GetProperty(token);
            }
        }

        return (field.Length == 0 ? "body" : field.ToString(), value);
    }

    // JsonSchema.Net names the missing properties as a JSON array in its message: Required properties ["a","b"] are not present.
    private static string[] Missing(string message)
    {
        var start = message.IndexOf('[', StringComparison.Ordinal);
        var end = message.LastIndexOf(']');
        try
        {
            return start >= 0 && end > start ? JsonSerializer.Deserialize(message[start..(end + 1)], ApiJson.Default.StringArray) ?? [] : [];
        }
        catch (JsonException)
        {
            return [];
        }
    }

    /// <summary>Largest body read (and dropped) to answer 413: larger ones have the connection closed under them.</summary>
    public const int MaxDiscardedBytes = 16 * 1024 * 1024;

    // The client is still sending: answering and closing now would make it see a connection reset, never the 413.
    // So the body is read and dropped first, up to a bound (beyond it Kestrel closes the connection, as it must).
    private static async Task DiscardAsync(HttpRequest request, CancellationToken ct)
    {
        if (request.ContentLength > MaxDiscardedBytes)
        {
            return;
        }

        if (request.HttpContext.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = MaxDiscardedBytes;
        }

        var chunk = new byte[64 * 1024];
        try
        {
            while (await request.Body.ReadAsync(chunk, ct) > 0)
            {
            }
        }
        catch (BadHttpRequestException)
        {
            // Sent too slowly, or more than it said: the connection goes; nothing more can be done for this client.
        }
    }

    private static ProblemHttpResult TooLarge() =>
        TypedResults.Problem($"The body is larger than {MaxBytes} bytes.", statusCode: 413, title: "Payload too large", type: Problems.PayloadTooLarge);

    // System.Text.Json has no exception type of its own for a property the type does not have (UnmappedMemberHandling
    // .Disallow): its message names it as "The JSON property 'name' could not be mapped to any .NET member …".
    private static string? UnknownProperty(JsonException e) =>
        e.Message.StartsWith("The JSON property '", StringComparison.Ordinal) && e.Message.IndexOf("' could not be mapped", StringComparison.Ordinal) is > 19 and var end
            ? e.Message[19..end]
            : null;

    // "$.lines[0].amount" → "lines[0].amount"; the root or an unknown place → "body".
    private static string FieldOf(string? path) =>
        path is null || path == "$" ? "body" : path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : "body";
}
