using System.Globalization;
using System.Text.Json.Nodes;

namespace Loyalty.Tests.Model;

/// <summary>A field of an answer and the value the model expects there. <see cref="New"/> marks a field the
/// specification adds (new): read tolerantly, so that an absent field is not checked, but a present one must agree.</summary>
public sealed record Figure(string Path, JsonNode? Value, bool New = false)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Path}={Value?.ToJsonString() ?? "null"}{(New ? " (new)" : "")}");
}

/// <summary>A refusal the model accepts: when several rules refuse a request at once, any of them may answer.</summary>
public sealed record Refusal(int Status, string? Type, IReadOnlyList<Figure> Figures)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Status} {Type ?? "(any type)"} {string.Join(' ', Figures)}");
}

/// <summary>What the model expects of one answer: a status with figures, or one of several refusals.</summary>
public sealed record Expected(int Status, IReadOnlyList<Figure> Figures, IReadOnlyList<Refusal> Refusals)
{
    public static Expected Answer(int status, params Figure[] figures) => new(status, figures, []);

    public static Expected Refused(params Refusal[] refusals) => new(refusals[0].Status, [], refusals);

    public static Expected Problem(int status, string? type, params Figure[] figures) => Refused(new Refusal(status, type, figures));

    public bool IsRefusal => Refusals.Count > 0;

    /// <summary>The same answer replayed: 200 with the same figures.</summary>
    public Expected AsReplay() => this with { Status = 200 };

    public override string ToString() => IsRefusal
        ? string.Join(" or ", Refusals)
        : string.Create(CultureInfo.InvariantCulture, $"{Status} {string.Join(' ', Figures)}");
}

/// <summary>Shorthand for figures.</summary>
public static class F
{
    public static Figure Is(string path, long value) => new(path, JsonValue.Create(value));

    public static Figure Is(string path, decimal value) => new(path, JsonValue.Create(value));

    public static Figure Is(string path, string? value) => new(path, value is null ? null : JsonValue.Create(value));

    public static Figure Is(string path, JsonNode? value) => new(path, value);

    public static Figure New(string path, long value) => new(path, JsonValue.Create(value), New: true);

    public static Figure New(string path, decimal value) => new(path, JsonValue.Create(value), New: true);

    public static Figure New(string path, string? value) => new(path, value is null ? null : JsonValue.Create(value), New: true);

    public static Figure New(string path, JsonNode? value) => new(path, value, New: true);
}

/// <summary>What an import must report, by line of the members file: "" imported, null already there, else the field a
/// rejection names.</summary>
public sealed record ImportExpected(IReadOnlyList<(int Line, string? Field)> Rows)
{
    public int Imported => Rows.Count(r => r.Field == "");

    public int AlreadyThere => Rows.Count(r => r.Field is null);

    public IEnumerable<(int Line, string Field)> Rejected => Rows.Where(r => r.Field is { Length: > 0 }).Select(r => (r.Line, r.Field!));

    public int Exit => Rejected.Any() ? 2 : 0;
}
