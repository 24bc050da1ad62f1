using System.Text.Json;
using System.Text.Json.Serialization;
using Loyalty.Domain;
using Loyalty.Domain.Outreach;

namespace Loyalty.Tests.Outreach;

public sealed class TemplateTests
{
    private static readonly OutreachDefinition Defaults = new();

    private static TemplateValues Values(string? firstName = "Anna") => new()
    {
        ProgramName = "Loyalty Rewards",
        FirstName = firstName,
        Points = new Points(12_345),
        ExpiringPoints = new Points(1_250),
        ExpiryDate = new DateOnly(2026, 12, 31),
    };

    private static OutreachDefinition With(string campaign, params (string Locale, string Text)[] templates) => new()
    {
        Templates = new Dictionary<string, IReadOnlyDictionary<string, string>>
        {
            [campaign] = templates.ToDictionary(t => t.Locale, t => t.Text),
        },
    };

    [Fact]
    public void Render_English_FillsEveryPlaceholder()
    {
        var message = Defaults.Render(Campaign.Birthday, "en", Values());

        Assert.Equal(
            "Happy birthday, Anna! Everyone at Loyalty Rewards wishes you a wonderful day. Your points balance: 12,345. Reply STOP to opt out",
            message.Text);
        Assert.Equal("en", message.Locale);
        Assert.Equal(new SmsSegmentCount(SmsEncoding.Gsm7, message.Text.Length, 1), message.Segments);
    }

    [Fact]
    public void Render_Chinese_UsesTheChineseTemplateAndOptOutHint()
    {
        var message = Defaults.Render(Campaign.Birthday, "zh-CN", Values("娜娜"));

        Assert.Equal("娜娜，生日快乐！Loyalty Rewards全体员工祝您度过美好的一天。您的积分余额：12,345。回复STOP退订", message.Text);
        Assert.Equal(SmsEncoding.Ucs2, message.Segments.Encoding);
    }

    [Fact]
    public void Render_Russian_GroupsPointsTheRussianWay()
    {
        var message = Defaults.Render(Campaign.Birthday, "ru", Values("Анна"));

        Assert.Equal(
            "С днём рождения, Анна! Команда Loyalty Rewards желает вам чудесного дня. Баланс баллов: 12 345. Отписаться: ответьте STOP",
            message.Text);
    }

    [Theory]
    [InlineData("en", "2026年", "1,250 of your points expire on December 31, 2026.")]
    [InlineData("zh-CN", "December", "1,250积分将于2026年12月31日到期")]
    [InlineData("ru", "December", "31 декабря 2026 г. сгорят баллы Loyalty Rewards: 1 250.")]
    public void Render_ExpiryWarning_FormatsTheDateForTheLocale(string locale, string absent, string expected)
    {
        var text = Defaults.Render(Campaign.ExpiryWarning, locale, Values()).Text;

        Assert.Contains(expected, text, StringComparison.Ordinal);
        Assert.DoesNotContain(absent, text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("en", "expire on December 31, 2026. Vouchers expiring by then: 2. Treat yourself")]
    [InlineData("zh-CN", "到期，别忘了在到期前使用哦。届时到期的代金券：2张。回复STOP退订")]
    [InlineData("ru", "1 250. Купонов истекает к этой дате: 2. Успейте")]
    public void Render_ExpiryWarning_MentionsVouchersExpiringByThen(string locale, string expected) =>
        Assert.Contains(expected, Defaults.Render(Campaign.ExpiryWarning, locale, Values() with { ExpiringVouchers = 2 }).Text, StringComparison.Ordinal);

    [Theory]
    [InlineData("en", "expire on December 31, 2026. Treat yourself")]
    [InlineData("zh-CN", "别忘了在到期前使用哦。回复STOP退订")]
    [InlineData("ru", "1 250. Успейте")]
    public void Render_ExpiryWarning_WithoutVouchers_LeavesTheSentenceOut(string locale, string expected) =>
        Assert.Contains(expected, Defaults.Render(Campaign.ExpiryWarning, locale, Values()).Text, StringComparison.Ordinal);

    [Theory]
    [InlineData(Campaign.Birthday, "en", null, "Happy birthday! Everyone at Loyalty Rewards")]
    [InlineData(Campaign.Birthday, "en", "  ", "Happy birthday! Everyone at Loyalty Rewards")]
    [InlineData(Campaign.ExpiryWarning, "en", null, "Hi, a heads-up from Loyalty Rewards:")]
    [InlineData(Campaign.WinbackAtRisk, "en", null, "We miss you! Your Loyalty Rewards")]
    [InlineData(Campaign.Birthday, "zh-CN", null, "生日快乐！Loyalty Rewards")]
    [InlineData(Campaign.ExpiryWarning, "zh-CN", null, "您好！您在Loyalty Rewards")]
    [InlineData(Campaign.Birthday, "ru", null, "С днём рождения! Команда")]
    [InlineData(Campaign.ExpiryWarning, "ru", null, "Здравствуйте! 31 декабря")]
    public void Render_WithoutFirstName_LeavesTheNameOutGracefully(Campaign campaign, string locale, string? firstName, string start)
    {
        var text = Defaults.Render(campaign, locale, Values(firstName)).Text;

        Assert.StartsWith(start, text, StringComparison.Ordinal);
        Assert.DoesNotContain("  ", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_NameBetweenSpacesMissing_LeavesOneSpace()
    {
        var definition = With("birthday", ("en", "Dear {firstName} and family, happy birthday! {optOut}"));

        Assert.Equal("Dear and family, happy birthday! Reply STOP to opt out", definition.Render(Campaign.Birthday, "en", Values(null)).Text);
    }

    [Theory]
    [InlineData("ru-RU", "ru")]
    [InlineData("zh-Hans-CN", "zh-CN")]
    [InlineData("zh-Hans", "zh-CN")]
    [InlineData("zh", "zh-CN")]
    [InlineData("zh-TW", "zh-CN")]
    [InlineData("ZH-cn", "zh-CN")]
    [InlineData("en-GB", "en")]
    [InlineData("de-DE", "en")]
    [InlineData("ru-XX", "ru")]
    [InlineData("not a tag", "en")]
    [InlineData("", "en")]
    [InlineData(null, "en")]
    public void Render_MemberLocale_FallsBackSensibly(string? memberLocale, string expected)
    {
        Assert.Equal(expected, Defaults.Render(Campaign.WinbackLapsed, memberLocale, Values()).Locale);
    }

    [Fact]
    public void Resolve_PrefersTheSameScript_OverAnotherChineseLocale()
    {
        Assert.Equal("zh-TW", Locales.Resolve("zh-Hant-HK", ["en", "zh-CN", "zh-TW"]));
        Assert.Equal("zh-CN", Locales.Resolve("zh-Hans-SG", ["en", "zh-CN", "zh-TW"]));
    }

    [Fact]
    public void Render_FrenchNumbersAndDates_UsePlainSpacesSoGsm7Holds()
    {
        var templates = With("expiry-warning", ("en", "{expiringPoints} points expire on {expiryDate}. {optOut}"), ("fr", "{expiringPoints} points expirent le {expiryDate}. {optOut}"));
        var definition = templates with { OptOut = new Dictionary<string, string> { ["fr"] = "STOP pour vous désabonner" } };

        var message = definition.Render(Campaign.ExpiryWarning, "fr-FR", Values() with { ExpiringPoints = new Points(12_345) });

        Assert.Equal("12 345 points expirent le 31 décembre 2026. STOP pour vous désabonner", message.Text);
        Assert.Equal(SmsEncoding.Gsm7, message.Segments.Encoding);
    }

    [Fact]
    public void Render_EnglishFallback_FormatsInEnglish()
    {
        var text = Defaults.Render(Campaign.ExpiryWarning, "de-DE", Values()).Text;

        Assert.Contains("1,250 of your points expire on December 31, 2026", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_CampaignTheDefinitionOverrides_UsesItsText()
    {
        var definition = With("birthday", ("en", "Happy birthday from {programName}! {optOut}"));

        Assert.Equal("Happy birthday from Loyalty Rewards! Reply STOP to opt out", definition.Render(Campaign.Birthday, "ru", Values()).Text);
        Assert.StartsWith("Мы скучаем, Анна!", definition.Render(Campaign.WinbackAtRisk, "ru", Values("Анна")).Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_DoubledBraces_AreLiteralBraces()
    {
        var definition = With("birthday", ("en", "{{VIP}} Happy birthday, {firstName}! {optOut}"));

        Assert.Equal("{VIP} Happy birthday, Anna! Reply STOP to opt out", definition.Render(Campaign.Birthday, "en", Values()).Text);
    }

    [Fact]
    public void Render_ExpiryWarningWithoutItsValues_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => Defaults.Render(Campaign.ExpiryWarning, "en", Values() with { ExpiringPoints = null }));

        Assert.Contains("{expiringPoints}", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_InvalidTemplate_ThrowsNamingIt()
    {
        var definition = With("birthday", ("en", "Hi {nickname}"));

        var ex = Assert.Throws<InvalidOperationException>(() => definition.Render(Campaign.Birthday, "en", Values()));

        Assert.Contains("outreach.templates.birthday.en", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_DefaultTemplates_AreValid()
    {
        Assert.Empty(Defaults.Validate());
    }

    [Fact]
    public void Validate_UnknownPlaceholder_NamesCampaignLocaleAndPlaceholder()
    {
        var definition = With("birthday", ("en", "Happy birthday, {firstName}! {optOut}"), ("ru", "С днём рождения, {fistName}! {optOut}"));

        var error = Assert.Single(definition.Validate());

        Assert.StartsWith("outreach.templates.birthday.ru: unknown placeholder {fistName}", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_PlaceholderOfAnotherCampaign_IsAnError()
    {
        var definition = With("winback-lapsed", ("en", "Your points expire on {expiryDate}. {optOut}"));

        var error = Assert.Single(definition.Validate());

        Assert.Contains("outreach.templates.winback-lapsed.en: placeholder {expiryDate} is not available in the winback-lapsed campaign", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_CampaignWithoutEnglish_IsAnError()
    {
        var definition = With("expiry-warning", ("ru", "Баллы сгорят {expiryDate}. {optOut}"));

        var error = Assert.Single(definition.Validate());

        Assert.Equal("outreach.templates.expiry-warning: no \"en\" template (it is the fallback for every other language)", error);
    }

    [Theory]
    [InlineData("Hi {firstName", "has no closing '}'")]
    [InlineData("Hi firstName}", "has no opening '{'")]
    [InlineData("Hi {}", "unknown placeholder {}")]
    [InlineData("   ", "the template is empty")]
    public void Validate_BrokenSyntax_IsAnError(string text, string expected)
    {
        var error = Assert.Single(With("birthday", ("en", text)).Validate());

        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_UnknownCampaignOrLocale_IsAnError()
    {
        var definition = new OutreachDefinition
        {
            Templates = new Dictionary<string, IReadOnlyDictionary<string, string>>
            {
                ["anniversary"] = new Dictionary<string, string> { ["en"] = "Hi" },
                ["birthday"] = new Dictionary<string, string> { ["en"] = "Hi {optOut}", ["xx-YY"] = "Hi {optOut}" },
            },
        };

        var errors = definition.Validate();

        Assert.Contains(errors, e => e.StartsWith("outreach.templates.anniversary: unknown campaign", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("outreach.templates.birthday.xx-YY: not a known locale", StringComparison.Ordinal));
        Assert.Equal(2, errors.Count);
    }

    [Fact]
    public void Validate_LocaleWithoutOptOutHint_IsAnErrorUntilOneIsGiven()
    {
        var definition = With("birthday", ("en", "Happy birthday! {optOut}"), ("de", "Alles Gute zum Geburtstag! {optOut}"));
        var fixedOne = definition with { OptOut = new Dictionary<string, string> { ["de"] = "STOP zum Abmelden" } };

        Assert.Contains("outreach.templates.birthday.de: uses {optOut} but outreach.optOut has no hint in its language", Assert.Single(definition.Validate()), StringComparison.Ordinal);
        Assert.Empty(fixedOne.Validate());
        Assert.Equal("Alles Gute zum Geburtstag! STOP zum Abmelden", fixedOne.Render(Campaign.Birthday, "de-AT", Values()).Text);
    }

    [Fact]
    public void Report_DefaultTemplates_FitTwoSegmentsAndEnglishFitsOne()
    {
        var reports = Defaults.Report("Loyalty Rewards");

        Assert.Equal(CampaignNames.All.Count * 3, reports.Count);
        Assert.All(reports, r => Assert.Empty(r.Warnings));
        Assert.All(reports, r => Assert.InRange(r.Size.Segments, 1, 2));
        Assert.All(reports.Where(r => r.Locale == "en"), r => Assert.Equal(SmsEncoding.Gsm7, r.Size.Encoding));
        Assert.All(reports.Where(r => r.Locale == "en"), r => Assert.Equal(1, r.Size.Segments));
        Assert.All(reports.Where(r => r.Locale == "zh-CN"), r => Assert.Equal(1, r.Size.Segments));
        Assert.All(reports.Where(r => r.Locale == "en" && r.Sample.Contains("Alexandra", StringComparison.Ordinal)), r => Assert.True(r.SegmentsWithNonGsmName > r.Size.Segments));
    }

    [Fact]
    public void Report_TemplateOverTwoSegments_Warns()
    {
        var definition = With("birthday", ("en", "Happy birthday, {firstName}! " + string.Concat(Enumerable.Repeat("We are so glad you are with us. ", 10)) + "{optOut}"));

        var report = definition.Report("Loyalty Rewards").Single(r => r.Campaign == Campaign.Birthday);

        Assert.Equal(3, report.Size.Segments);
        var warning = Assert.Single(report.Warnings);
        Assert.StartsWith("outreach.templates.birthday.en: 3 SMS segments (GSM-7,", warning, StringComparison.Ordinal);
    }

    [Fact]
    public void Report_TemplateWithoutOptOut_Warns()
    {
        var report = With("birthday", ("en", "Happy birthday!")).Report("Loyalty Rewards").Single(r => r.Campaign == Campaign.Birthday);

        Assert.Contains("no {optOut}", Assert.Single(report.Warnings), StringComparison.Ordinal);
    }

    [Fact]
    public void Json_ProgramDefinitionShape_DeserializesValidatesAndRenders()
    {
        const string json = """
            {
              "templates": {
                "birthday": {
                  "en": "Happy birthday, {firstName}! {optOut}",
                  "ru": "С днём рождения, {firstName}! {optOut}"
                }
              },
              "optOut": { "en": "Text STOP to unsubscribe" }
            }
            """;
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web) { UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow };

        var definition = JsonSerializer.Deserialize<OutreachDefinition>(json, options)!;

        Assert.Empty(definition.Validate());
        Assert.Equal("Happy birthday, Anna! Text STOP to unsubscribe", definition.Render(Campaign.Birthday, "en-US", Values()).Text);
        Assert.Equal("С днём рождения, Анна! Отписаться: ответьте STOP", definition.Render(Campaign.Birthday, "ru-RU", Values("Анна")).Text);
    }

    [Fact]
    public void Json_DefaultTemplates_RoundTripInTheProgramDefinitionShape()
    {
        var json = JsonSerializer.Serialize(new { templates = DefaultTemplates.Templates, optOut = DefaultTemplates.OptOut });

        var definition = JsonSerializer.Deserialize<OutreachDefinition>(json, JsonSerializerOptions.Web)!;

        Assert.Empty(definition.Validate());
        Assert.Equal(Defaults.Render(Campaign.ExpiryWarning, "ru", Values()).Text, definition.Render(Campaign.ExpiryWarning, "ru", Values()).Text);
    }
}
