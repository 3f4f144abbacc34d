using System.Globalization;
using System.Numerics;

namespace CourseKit.Metrics;

/// <summary>
/// Fixed-point formatting exactly as Python's <c>format(x, ".Nf")</c> and C's <c>printf("%.Nf")</c> (so Perl's):
/// the exact binary value of the double is rounded to N decimals, ties to even. .NET's "F3" rounds ties away from
/// zero (0.0625 → "0.063" where Python prints "0.062"), which would break digit-for-digit comparisons.
/// </summary>
public static class PythonFormat
{
    public static string Fixed(double value, int digits)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(digits);
        if (double.IsNaN(value)) return "nan";
        if (double.IsInfinity(value)) return value > 0 ? "inf" : "-inf";
        bool negative = double.IsNegative(value);
        long bits = BitConverter.DoubleToInt64Bits(Math.Abs(value));
        int exponent = (int)((bits >> 52) & 0x7FF);
        long mantissa = bits & 0xF_FFFF_FFFF_FFFFL;
        if (exponent == 0) exponent = 1; else mantissa |= 1L << 52;
        exponent -= 1075; // |value| = mantissa * 2^exponent exactly

        BigInteger numerator = mantissa * BigInteger.Pow(10, digits), denominator = BigInteger.One;
        if (exponent > 0) numerator <<= exponent; else denominator <<= -exponent;
        var quotient = BigInteger.DivRem(numerator, denominator, out var remainder);
        var twice = remainder * 2;
        if (twice > denominator || twice == denominator && !quotient.IsEven) quotient += 1;

        var text = quotient.ToString(CultureInfo.InvariantCulture).PadLeft(digits + 1, '0');
        if (digits > 0) text = text[..^digits] + "." + text[^digits..];
        return negative ? "-" + text : text;
    }
}
