using System.Buffers.Text;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Loyalty.Adapters.Json;
using Loyalty.Functions.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Loyalty.Functions.Invocations;

/// <summary>A non-HTTP invocation as the Functions host sends it to a custom handler:
/// <c>POST /{FunctionName}</c> with <c>{ "Data": { binding: value }, "Metadata": { key: value, "sys": { … } } }</c>.
/// The host passes every value that is not a JSON object through Json.NET's <c>SerializeObject</c> first, so a
/// string arrives quoted once more (<c>"\"abc\""</c>), a number as its text (<c>"1"</c>), and bytes as base64;
/// Microsoft's documentation shows the plain forms. Both are read here.</summary>
public sealed class FunctionInvocation
{
    /// <summary>Largest invocation body read: a 64 KiB queue message, escaped twice, with its metadata.</summary>
    public const int MaxBytes = 512 * 1024;

    public const string InvocationIdHeader = "X-Azure-Functions-InvocationId";

    private const int MaxUnwrap = 4;

    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 32 };


    private readonly JsonElement data;
    private readonly JsonElement metadata;

    private FunctionInvocation(JsonElement data, JsonElement metadata, string? invocationId) =>
        (this.data, this.metadata, InvocationId) = (data, metadata, invocationId);

    /// <summary>The id the host gave this invocation, when it sent one.</summary>
    public string? InvocationId { get; }

    /// <summary>Reads the invocation from the request, or says why it cannot.</summary>
    public static async Task<(FunctionInvocation? Invocation, string? Error)> ReadAsync(HttpRequest request, CancellationToken ct)
    {
        var body = await BoundedBody.ReadAsync(request, MaxBytes, ct);
        if (body is null)
        {
            return (null, $"the invocation body is larger than {MaxBytes} bytes");
        }

        return Parse(body.Value, request.Headers[InvocationIdHeader].ToString() is { Length: > 0 } id ? id : null);
    }

    /// <summary>Parses an invocation body. Member names are matched case-insensitively.</summary>
    public static (FunctionInvocation? Invocation, string? Error) Parse(ReadOnlyMemory<byte> json, string? invocationId = null)
    {
        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(json, DocumentOptions);
            root = document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return (null, "the invocation body is not valid JSON");
        }

        if (root.ValueKind != JsonValueKind.Object)
        {
            return (null, "the invocation body is not a JSON object");
        }

        var data = Member(root, "Data");
        if (data?.ValueKind != JsonValueKind.Object)
        {
            return (null, "the invocation body has no Data object");
        }

        var metadata = Member(root, "Metadata") is { ValueKind: JsonValueKind.Object } m ? m : default;
        return (new FunctionInvocation(data.Value, metadata, invocationId), null);
    }

    /// <summary>The JSON text of a trigger or input value that carries a JSON document (a queue or Service Bus
    /// message), whichever way the host wrapped it: an object as is, or a string holding JSON, JSON in a JSON
    /// string, or base64 of JSON (<c>dataType: binary</c>). A string that holds none of these comes back as its
    /// own text, for the caller's JSON parser to reject. Null when the binding is absent.</summary>
    public byte[]? JsonValue(string binding)
    {
        if (Member(data, binding) is not { } value)
        {
            return null;
        }

        for (var i = 0; i < MaxUnwrap && value.ValueKind == JsonValueKind.String; i++)
        {
            var text = value.GetString()!;
            if (TryParse(Encoding.UTF8.GetBytes(text), out var inner) || TryParseBase64(text, out inner))
            {
                value = inner;
                continue;
            }

            return Encoding.UTF8.GetBytes(text);
        }

        return Encoding.UTF8.GetBytes(value.GetRawText());
    }

    /// <summary>The value of a trigger binding that is a JSON object (a timer's <c>TimerInfo</c>), if it is one.</summary>
    public JsonElement? ObjectValue(string binding) =>
        Member(data, binding) is { } value && Unquote(value) is { ValueKind: JsonValueKind.Object } o ? o : null;

    /// <summary>A timer trigger's value, if the binding holds one.</summary>
    public TimerInfo? Timer(string binding)
    {
        try
        {
            return ObjectValue(binding)?.Deserialize(ApiJson.Default.TimerInfo);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>A metadata value as text: <c>"abc"</c> and <c>"\"abc\""</c> both give <c>abc</c>; a number gives its digits.</summary>
    public string? MetadataString(string key) => Member(metadata, key) is { } value ? Unquote(value) switch
    {
        { ValueKind: JsonValueKind.String } s => s.GetString(),
        { ValueKind: JsonValueKind.Null or JsonValueKind.Undefined } => null,
        var other => other.GetRawText(),
    }
    : null;

    /// <summary>What identifies the invocation in logs: the message id (<c>Id</c> of a queue message, <c>MessageId</c> of a
    /// Service Bus message) or else the invocation id, reduced to letters, digits and <c>-_.:</c> and at most 100
    /// characters, so that a sender cannot forge log lines through it.</summary>
    public string LogId()
    {
        var raw = MetadataString("Id") ?? MetadataString("MessageId") ?? InvocationId ?? "(no id)";
        var kept = new string([.. raw.Where(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':' or '(' or ')' or ' ').Take(100)]);
        return kept.Length == 0 ? "(unprintable id)" : kept;
    }

    /// <summary>A metadata value as a whole number, whether sent as <c>3</c> or <c>"3"</c>.</summary>
    public long? MetadataNumber(string key) => Member(metadata, key) is { } value ? Unquote(value) switch
    {
        { ValueKind: JsonValueKind.Number } n when n.TryGetInt64(out var l) => l,
        { ValueKind: JsonValueKind.String } s when long.TryParse(s.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) => l,
        _ => null,
    }
    : null;

    /// <summary>A property of a JSON object, matched case-insensitively: the host and Event Grid send PascalCase or camelCase.</summary>
    internal static JsonElement? Member(JsonElement element, string name)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        foreach (var property in element.EnumerateObject())
        {
            if (property.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                return property.Value;
            }
        }

        return null;
    }

    // "\"abc\"" → "abc"; "{\"a\":1}" → {"a":1}; "3" → 3. A string that is not JSON stays as it is.
    private static JsonElement Unquote(JsonElement value)
    {
        for (var i = 0; i < MaxUnwrap && value.ValueKind == JsonValueKind.String; i++)
        {
            var text = value.GetString()!;
            var first = text.AsSpan().TrimStart();
            if (first.IsEmpty || first[0] is not ('"' or '{' or '[' or '-' or (>= '0' and <= '9'))
                || !TryParse(Encoding.UTF8.GetBytes(text), out var inner))
            {
                break;
            }

            value = inner;
        }

        return value;
    }

    private static bool TryParse(byte[] json, out JsonElement value)
    {
        try
        {
            using var document = JsonDocument.Parse(json, DocumentOptions);
            value = document.RootElement.Clone();
            return true;
        }
        catch (JsonException)
        {
            value = default;
            return false;
        }
    }

    private static bool TryParseBase64(string text, out JsonElement value)
    {
        value = default;
        var bytes = Encoding.ASCII.GetBytes(text);
        if (text.Length < 4 || !Base64.IsValid(text))
        {
            return false;
        }

        var decoded = new byte[Base64.GetMaxDecodedFromUtf8Length(bytes.Length)];
        return Base64.DecodeFromUtf8(bytes, decoded, out _, out var written) == System.Buffers.OperationStatus.Done
            && TryParse(decoded[..written], out value)
            && value.ValueKind is JsonValueKind.Object or JsonValueKind.String;
    }
}

/// <summary>What a custom handler answers for a non-HTTP invocation: <c>{ "Outputs": {…}, "Logs": […],
/// "ReturnValue": … }</c>. Logs appear in the host's invocation log; a non-2xx status fails the invocation and the
/// trigger retries it.</summary>
public sealed record InvocationResult(IReadOnlyDictionary<string, object?> Outputs, IReadOnlyList<string> Logs, object? ReturnValue)
{
    /// <summary>The host reads these member names as written (PascalCase), whatever the app's JSON naming policy.</summary>
    public static readonly JsonSerializerOptions Json = new() { TypeInfoResolver = ApiJson.Default };

    /// <summary>A completed invocation with no outputs.</summary>
    public static JsonHttpResult<InvocationResult> Completed(params IReadOnlyList<string> logs) => Respond(StatusCodes.Status200OK, logs);

    /// <summary>A failed invocation: the trigger retries the message, then moves it to poison / dead-letter.</summary>
    public static JsonHttpResult<InvocationResult> Failed(int status, params IReadOnlyList<string> logs) => Respond(status, logs);

    private static JsonHttpResult<InvocationResult> Respond(int status, IReadOnlyList<string> logs) =>
        TypedResults.Json(new InvocationResult(new Dictionary<string, object?>(), logs, null), Json.For<InvocationResult>(), statusCode: status);
}

/// <summary>A timer trigger's value, the host's <c>TimerInfo</c>.</summary>
/// <param name="ScheduleStatus">Last and next runs as the schedule monitor recorded them; null without a monitor
/// (always, under the standalone runner).</param>
/// <param name="IsPastDue">Whether this run is later than its schedule (a run was missed).</param>
public sealed record TimerInfo(TimerScheduleInfo? Schedule, TimerScheduleStatus? ScheduleStatus, bool IsPastDue);

public sealed record TimerScheduleInfo(bool AdjustForDST);

public sealed record TimerScheduleStatus(DateTimeOffset Last, DateTimeOffset Next, DateTimeOffset LastUpdated);
