using System.Globalization;
using System.Text.Json;

namespace Loyalty.Tests.Infrastructure;

/// <summary>Test data: unique ids per test so that tests share one Azurite without seeing each other.</summary>
public static class A
{
    /// <summary>The fixed "now" of tests that use a fake clock.</summary>
    public static readonly DateTimeOffset Now = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    public static string Id(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 17, 64)];

    public static MemberJson Member() => new();

    public static PurchaseJson Purchase(string memberId) => new() { MemberId = memberId };
}

public sealed record MemberJson
{
    public string? FirstName { get; init; } = "Alice";

    public string? Phone { get; init; } = "+14255550123";

    public string? Birthday { get; init; }

    public string? Locale { get; init; }

    public string? TimeZone { get; init; }

    public bool? SmsOptIn { get; init; }

    public bool? SmsTransactional { get; init; }

    public string? ReferredBy { get; init; }

    public MemberJson WithBirthday(string birthday) => this with { Birthday = birthday };

    public string ToJson() => JsonSerializer.Serialize(this, JsonSerializerOptions.Web);
}

public sealed record PurchaseJson
{
    public string PurchaseId { get; init; } = A.Id("p");

    public string MemberId { get; init; } = "";

    public decimal Amount { get; init; } = 10m;

    public string Currency { get; init; } = "USD";

    public string OccurredAt { get; init; } = A.Now.AddHours(-1).ToString("yyyy-MM-ddTHH:mm:ssK", CultureInfo.InvariantCulture);

    public string? StoreId { get; init; }

    public PurchaseJson WithAmount(decimal amount, string currency = "USD") => this with { Amount = amount, Currency = currency };

    public string ToJson() => JsonSerializer.Serialize(this, JsonSerializerOptions.Web);
}

/// <summary>Secrets the tests run with: never used outside them.</summary>
public static class TestKeys
{
    public const string PhoneSecret = "test-only-phone-key-0123456789";

    public static Loyalty.Adapters.Storage.PhoneKeys Phone { get; } = new(PhoneSecret);
}
