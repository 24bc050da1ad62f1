using System.Net;
using Loyalty.Adapters.Sms;
using Microsoft.Extensions.Time.Testing;

namespace Loyalty.Tests.Sms;

public sealed class AcsConnectionStringTests
{
    private static readonly string Key = Convert.ToBase64String([1, 2, 3, 4, 5, 6, 7, 8]);

    [Fact]
    public void TryParse_HttpsEndpoint_ReadsEndpointAndKey()
    {
        Assert.True(AcsConnectionString.TryParse($"Endpoint=https://contoso.communication.azure.com;AccessKey={Key}", out var connection, out _));

        Assert.Equal(new Uri("https://contoso.communication.azure.com/"), connection.Endpoint);
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 }, connection.Key);
        Assert.DoesNotContain(Key, connection.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://127.0.0.1:5123/")]
    [InlineData("http://localhost:5123")]
    [InlineData("http://[::1]:5123/")]
    public void TryParse_LoopbackHttpEndpoint_IsAccepted(string endpoint)
    {
        Assert.True(AcsConnectionString.TryParse($"endpoint={endpoint};accesskey={Key}", out var connection, out _));
        Assert.Equal("http", connection.Endpoint.Scheme);
    }

    [Theory]
    [InlineData("http://contoso.communication.azure.com/")]
    [InlineData("http://192.168.1.10/")]
    public void TryParse_NonLoopbackHttpEndpoint_IsRefused(string endpoint)
    {
        Assert.False(AcsConnectionString.TryParse($"endpoint={endpoint};accesskey={Key}", out _, out var error));
        Assert.StartsWith("endpoint must use https", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "is empty")]
    [InlineData("endpoint=https://contoso.communication.azure.com/", "must have the form")]
    [InlineData("accesskey=AQID", "must have the form")]
    [InlineData("endpoint=ftp://contoso/;accesskey=AQID", "not an absolute https URL")]
    [InlineData("endpoint=https://contoso/;accesskey=%%%secret%%%", "accesskey is not valid base64")]
    public void TryParse_Malformed_SaysWhyWithoutQuotingTheKey(string text, string expected)
    {
        Assert.False(AcsConnectionString.TryParse(text, out _, out var error));
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("+14255550123", "+*********23")]
    [InlineData("+8613800138000", "+***********00")]
    [InlineData("123", "***")]
    [InlineData(null, "***")]
    public void Mask_ShowsOnlyTheLastTwoDigits(string? phone, string expected)
    {
        Assert.Equal(expected, SmsRedaction.Mask(phone));
    }

    [Fact]
    public void Redact_MasksNumbersInsideText()
    {
        Assert.Equal("Invalid To phone number +*********23.", SmsRedaction.Redact("Invalid To phone number +14255550123."));
    }

    [Fact]
    public void Repeatability_FirstSent_IsWholeSecondsInRfc1123()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 12, 0, 0, TimeSpan.Zero).AddMilliseconds(750));

        var repeatability = SmsRepeatability.Create(time);

        Assert.Equal(new DateTimeOffset(2026, 11, 24, 12, 0, 0, TimeSpan.Zero), repeatability.FirstSent);
        Assert.Equal("Tue, 24 Nov 2026 12:00:00 GMT", repeatability.FirstSentRfc1123);
        Assert.NotEqual(Guid.Empty, repeatability.RequestId);
    }

    [Fact]
    public void RetryAfter_ReadsSecondsDatesAndMilliseconds_On429And503Only()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 12, 0, 0, TimeSpan.Zero));
        using var seconds = new HttpResponseMessage(HttpStatusCode.TooManyRequests) { Headers = { { "Retry-After", "7" } } };
        using var date = new HttpResponseMessage(HttpStatusCode.ServiceUnavailable) { Headers = { { "Retry-After", "Tue, 24 Nov 2026 12:00:30 GMT" } } };
        using var ms = new HttpResponseMessage(HttpStatusCode.TooManyRequests) { Headers = { { "retry-after-ms", "250" } } };
        using var on500 = new HttpResponseMessage(HttpStatusCode.InternalServerError) { Headers = { { "Retry-After", "7" } } };
        using var none = new HttpResponseMessage(HttpStatusCode.TooManyRequests);

        Assert.Equal(TimeSpan.FromSeconds(7), AcsSmsResilience.RetryAfter(seconds, time));
        Assert.Equal(TimeSpan.FromSeconds(30), AcsSmsResilience.RetryAfter(date, time));
        Assert.Equal(TimeSpan.FromMilliseconds(250), AcsSmsResilience.RetryAfter(ms, time));
        Assert.Null(AcsSmsResilience.RetryAfter(on500, time));
        Assert.Null(AcsSmsResilience.RetryAfter(none, time));
    }
}
