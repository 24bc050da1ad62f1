using Loyalty.Domain;
using Loyalty.Domain.Members;

namespace Loyalty.Tests.Domain;

public sealed class MemberProfileTests
{
    private static readonly MemberProfile Profile = new()
    {
        FirstName = "Ana",
        Phone = "+14255550123",
        Birthday = Birthday.TryParse("1990-04-02", out var b) ? b : null,
        Locale = "en",
        TimeZone = "America/Los_Angeles",
        SmsOptIn = true,
        ReferredBy = MemberId.Parse("m-1"),
        Cards = ["CARD-1", "CARD-2"],
    };

    [Fact]
    public void Profiles_WithTheSameCardsInOtherLists_AreEqual()
    {
        var copy = Profile with { Cards = new List<string> { "CARD-1", "CARD-2" } };

        Assert.Equal(Profile, copy);
        Assert.Equal(Profile.GetHashCode(), copy.GetHashCode());
    }

    [Fact]
    public void Profiles_DifferingInAnyOneProperty_AreNotEqual()
    {
        var variants = new Dictionary<string, MemberProfile>
        {
            [nameof(MemberProfile.FirstName)] = Profile with { FirstName = "Bo" },
            [nameof(MemberProfile.Phone)] = Profile with { Phone = "+14255550124" },
            [nameof(MemberProfile.PhoneSince)] = Profile with { PhoneSince = new DateTimeOffset(2026, 11, 24, 12, 0, 0, TimeSpan.Zero) },
            [nameof(MemberProfile.Birthday)] = Profile with { Birthday = null },
            [nameof(MemberProfile.Locale)] = Profile with { Locale = "ru" },
            [nameof(MemberProfile.TimeZone)] = Profile with { TimeZone = "Europe/Moscow" },
            [nameof(MemberProfile.SmsOptIn)] = Profile with { SmsOptIn = false },
            [nameof(MemberProfile.Sms)] = Profile with { Sms = Profile.Sms with { Transactional = true } },
            [nameof(MemberProfile.ReferredBy)] = Profile with { ReferredBy = null },
            [nameof(MemberProfile.Cards)] = Profile with { Cards = ["CARD-2", "CARD-1"] },
        };

        // Every property a caller can set has a variant here, so a new one cannot be left out of Equals unnoticed.
        var settable = typeof(MemberProfile).GetProperties().Where(p => p.CanWrite).Select(p => p.Name).Order();
        Assert.Equal(settable, variants.Keys.Order());
        Assert.All(variants, v => Assert.NotEqual(Profile, v.Value));
    }
}
