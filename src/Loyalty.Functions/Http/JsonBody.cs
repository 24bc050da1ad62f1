using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Loyalty.Functions.Http;

/// <summary>Reads a JSON request body strictly: a size limit, numbers as numbers, no duplicate properties, no unknown
/// properties (a typo such as <c>amout</c> is named, not silently dropped), and every failure as a problem that names
/// the field at fault. Messages from queues are read the same way but keep unknown properties out of the way: a
/// producer that adds a field must not send purchases to the poison queue.</summary>
public static class JsonBody
{
    /// <summary>Largest body accepted by the API.</summary>
    public const int MaxBytes = 64 * 1024;

    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        NumberHandling = JsonNumberHandling.Strict,
        AllowDuplicateProperties = false,
        MaxDepth = 16,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
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
        return body is null ? (null, TooLarge()) : Parse<T>(body.Value.Span);
    }

    /// <summary>Parses a JSON document into <typeparamref name="T"/>, or explains in a problem why it cannot.
    /// <paramref name="skipUnknown"/> for a queue message: properties <typeparamref name="T"/> does not have are skipped.</summary>
    public static (T? Value, ProblemHttpResult? Problem) Parse<T>(ReadOnlySpan<byte> json, bool skipUnknown = false)
        where T : class
    {
        try
        {
            var value = JsonSerializer.Deserialize<T>(json, skipUnknown ? Tolerant : Options);
            return value is null ? (null, Problems.Invalid("body", "A JSON object is required.")) : (value, null);
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

            return (null, Problems.Invalid(
                new Dictionary<string, string[]> { [field] = [message] },
                "The body could not be read as JSON of the expected shape.",
                title: "Malformed JSON",
                type: Problems.MalformedJson));
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
