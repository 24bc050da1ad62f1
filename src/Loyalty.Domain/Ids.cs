using System.Diagnostics.CodeAnalysis;

namespace Loyalty.Domain;

/// <summary>The rule every external id follows: 1–64 characters of <c>[A-Za-z0-9_-]</c>.
/// Such ids are safe as Table Storage keys and in URLs.</summary>
public static class Ids
{
    public const int MaxLength = 64;

    public static bool IsValid([NotNullWhen(true)] string? value) =>
        value is { Length: > 0 and <= MaxLength } && value.All(IsIdChar);

    private static bool IsIdChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '-';
}

/// <summary>A member's id, chosen by the storefront.</summary>
public readonly record struct MemberId
{
    private MemberId(string value) => Value = value;

    public string Value { get; }

    public static bool TryParse([NotNullWhen(true)] string? value, out MemberId id)
    {
        id = Ids.IsValid(value) ? new MemberId(value) : default;
        return id.Value is not null;
    }

    public static MemberId Parse(string value) =>
        TryParse(value, out var id) ? id : throw new FormatException($"'{value}' is not a valid member id.");

    public override string ToString() => Value;
}

/// <summary>An operation id chosen by the caller (purchase, return, redemption, adjustment):
/// the key that makes the operation idempotent.</summary>
public readonly record struct OperationId
{
    private OperationId(string value) => Value = value;

    public string Value { get; }

    public static bool TryParse([NotNullWhen(true)] string? value, out OperationId id)
    {
        id = Ids.IsValid(value) ? new OperationId(value) : default;
        return id.Value is not null;
    }

    public static OperationId Parse(string value) =>
        TryParse(value, out var id) ? id : throw new FormatException($"'{value}' is not a valid id.");

    public override string ToString() => Value;
}
