using System.Diagnostics.CodeAnalysis;

namespace Loyalty.Domain;

/// <summary>The rule every external id follows: 1–64 characters of <c>[A-Za-z0-9_-]</c>.
/// Such ids are safe as Table Storage keys and in URLs.</summary>
public static class Ids
{
    public const int MaxLength = 64;

    public const string Rule = "1 to 64 characters of A-Z, a-z, 0-9, '_' and '-'";

    public static bool IsValid([NotNullWhen(true)] string? value) =>
        value is { Length: > 0 and <= MaxLength } && value.All(IsIdChar);

    /// <summary>Parses an id of any typed-id kind: valid text becomes the id, anything else fails.</summary>
    public static bool TryParse<TId>([NotNullWhen(true)] string? value, out TId id)
        where TId : struct, ITypedId<TId>
    {
        id = IsValid(value) ? TId.From(value) : default;
        return IsValid(value);
    }

    public static TId Parse<TId>(string value)
        where TId : struct, ITypedId<TId> =>
        TryParse<TId>(value, out var id) ? id : throw new FormatException($"'{value}' is not a valid id ({Rule}).");

    private static bool IsIdChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '-';
}

/// <summary>An id that follows <see cref="Ids.Rule"/>, parsed once at the edge and trusted inside.</summary>
public interface ITypedId<TSelf>
    where TSelf : struct, ITypedId<TSelf>
{
    string Value { get; }

    /// <summary>Wraps text already checked by <see cref="Ids.IsValid"/>; use <see cref="Ids.TryParse{TId}"/>.</summary>
    static abstract TSelf From(string valid);
}

/// <summary>A member's id, chosen by the storefront.</summary>
public readonly record struct MemberId : ITypedId<MemberId>
{
    private MemberId(string value) => Value = value;

    public string Value { get; }

    static MemberId ITypedId<MemberId>.From(string valid) => new(valid);

    public static bool TryParse([NotNullWhen(true)] string? value, out MemberId id) => Ids.TryParse(value, out id);

    public static MemberId Parse(string value) => Ids.Parse<MemberId>(value);

    public override string ToString() => Value;
}

/// <summary>An operation id chosen by the caller (purchase, return, redemption, adjustment), or made by the program
/// (a job's day): the key that makes the operation idempotent.</summary>
public readonly record struct OperationId : ITypedId<OperationId>
{
    private OperationId(string value) => Value = value;

    public string Value { get; }

    static OperationId ITypedId<OperationId>.From(string valid) => new(valid);

    public static bool TryParse([NotNullWhen(true)] string? value, out OperationId id) => Ids.TryParse(value, out id);

    public static OperationId Parse(string value) => Ids.Parse<OperationId>(value);

    public override string ToString() => Value;
}
