namespace Loyalty.Functions.Http;

/// <summary>The caller's name for themselves (<c>x-actor</c>): who made a change, for audits and the consent record.
/// Never the member's data.</summary>
public static class Actor
{
    public const string Header = "x-actor";
    public const string Unspecified = "unspecified";

    /// <summary>The header's value (1-100 characters), or <see cref="Unspecified"/> when there is none; an empty or
    /// longer value is an error on the header.</summary>
    public static string Read(HttpRequest request, Validator v) =>
        request.Headers.TryGetValue(Header, out var values) ? v.Text(Header, values.ToString(), 100, required: true) ?? Unspecified : Unspecified;
}
