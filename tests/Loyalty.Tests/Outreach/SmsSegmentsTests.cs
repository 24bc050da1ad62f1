using Loyalty.Domain.Outreach;

namespace Loyalty.Tests.Outreach;

public sealed class SmsSegmentsTests
{
    [Fact]
    public void Count_Exactly160Gsm7Characters_IsOneSegment()
    {
        Assert.Equal(new SmsSegmentCount(SmsEncoding.Gsm7, 160, 1), SmsSegments.Count(new string('a', 160)));
    }

    [Fact]
    public void Count_161Gsm7Characters_IsTwoSegments()
    {
        Assert.Equal(new SmsSegmentCount(SmsEncoding.Gsm7, 161, 2), SmsSegments.Count(new string('a', 161)));
    }

    [Theory]
    [InlineData(306, 2)]
    [InlineData(307, 3)]
    [InlineData(459, 3)]
    [InlineData(460, 4)]
    public void Count_LongGsm7Text_Uses153SeptetParts(int length, int segments)
    {
        Assert.Equal(segments, SmsSegments.Count(new string('x', length)).Segments);
    }

    [Theory]
    [InlineData('€')]
    [InlineData('{')]
    [InlineData('}')]
    [InlineData('[')]
    [InlineData(']')]
    [InlineData('~')]
    [InlineData('^')]
    [InlineData('|')]
    [InlineData('\\')]
    public void Count_ExtensionCharacter_CountsTwoSeptets(char extension)
    {
        var fits = SmsSegments.Count(new string('a', 158) + extension);
        var spills = SmsSegments.Count(new string('a', 159) + extension);

        Assert.Equal(new SmsSegmentCount(SmsEncoding.Gsm7, 160, 1), fits);
        Assert.Equal(new SmsSegmentCount(SmsEncoding.Gsm7, 161, 2), spills);
    }

    [Fact]
    public void Count_80EuroSigns_Is160SeptetsInOneSegment()
    {
        Assert.Equal(new SmsSegmentCount(SmsEncoding.Gsm7, 160, 1), SmsSegments.Count(new string('€', 80)));
    }

    [Fact]
    public void Count_ExtensionCharacterAtAPartBoundary_MovesWholeToTheNextPart()
    {
        // 306 septets would fit two parts of 153, but the escape pair cannot straddle them.
        var text = new string('a', 152) + "€" + new string('a', 152);

        Assert.Equal(new SmsSegmentCount(SmsEncoding.Gsm7, 306, 3), SmsSegments.Count(text));
    }

    [Theory]
    [InlineData("生日快乐", 4, 1)]
    [InlineData("С днём рождения!", 16, 1)]
    public void Count_ChineseOrRussianText_IsUcs2(string text, int units, int segments)
    {
        Assert.Equal(new SmsSegmentCount(SmsEncoding.Ucs2, units, segments), SmsSegments.Count(text));
    }

    [Theory]
    [InlineData(70, 1)]
    [InlineData(71, 2)]
    [InlineData(134, 2)]
    [InlineData(135, 3)]
    public void Count_Ucs2Text_Uses70SingleAnd67PerPart(int length, int segments)
    {
        var count = SmsSegments.Count(new string('я', length));

        Assert.Equal(SmsEncoding.Ucs2, count.Encoding);
        Assert.Equal(segments, count.Segments);
    }

    [Fact]
    public void Count_ChineseTextOf70Characters_IsOneSegmentAnd71IsTwo()
    {
        Assert.Equal(1, SmsSegments.Count(new string('积', 70)).Segments);
        Assert.Equal(2, SmsSegments.Count(new string('积', 71)).Segments);
    }

    [Fact]
    public void Count_OneCharacterOutsideGsm7_TurnsTheWholeTextUcs2()
    {
        // A typographic apostrophe is enough to cost a second segment.
        var count = SmsSegments.Count(new string('a', 100) + "’");

        Assert.Equal(new SmsSegmentCount(SmsEncoding.Ucs2, 101, 2), count);
    }

    [Fact]
    public void Count_SurrogatePairAtAPartBoundary_IsNotSplit()
    {
        var text = new string('я', 66) + "😀" + new string('я', 66);

        Assert.Equal(new SmsSegmentCount(SmsEncoding.Ucs2, 134, 3), SmsSegments.Count(text));
    }

    [Fact]
    public void Count_Empty_IsNoSegment()
    {
        Assert.Equal(new SmsSegmentCount(SmsEncoding.Gsm7, 0, 0), SmsSegments.Count(""));
    }

    [Theory]
    [InlineData("Café à Zürich: 5 € @ 10:00!", true)]
    [InlineData("ΔΦΓΛΩΠΨΣΘΞ ÆæßÉ ¡¿ §", true)]
    [InlineData("Zoë", false)]
    [InlineData("naïve", false)]
    [InlineData("`backtick`", false)]
    [InlineData("“quoted”", false)]
    public void IsGsm7_KnowsTheDefaultAlphabet(string text, bool gsm)
    {
        Assert.Equal(gsm, SmsSegments.IsGsm7(text));
    }
}
