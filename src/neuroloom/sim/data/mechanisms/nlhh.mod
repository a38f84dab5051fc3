: neuroloom: Hodgkin-Huxley style fast sodium and delayed-rectifier potassium
: channels (squid-axon kinetics, rate constants in 1/ms, voltages in mV).
: The rates hold at temp_ref (default 34 degC, so the demo cell spikes at
: body temperature) and scale with q10 away from it. Pair with `pas` for the leak.

NEURON {
    SUFFIX nlhh
    USEION na READ ena WRITE ina
    USEION k READ ek WRITE ik
    RANGE gnabar, gkbar, gna, gk
    GLOBAL q10, temp_ref
    THREADSAFE
}

UNITS {
    (mA) = (milliamp)
    (mV) = (millivolt)
    (S) = (siemens)
}

PARAMETER {
    gnabar = 0.12 (S/cm2)
    gkbar = 0.036 (S/cm2)
    q10 = 3
    temp_ref = 34 (degC)
}

ASSIGNED {
    v (mV)
    celsius (degC)
    ena (mV)
    ek (mV)
    ina (mA/cm2)
    ik (mA/cm2)
    gna (S/cm2)
    gk (S/cm2)
    minf
    hinf
    ninf
    mtau (ms)
    htau (ms)
    ntau (ms)
}

STATE { m h n }

BREAKPOINT {
    SOLVE states METHOD cnexp
    gna = gnabar * m * m * m * h
    gk = gkbar * n * n * n * n
    ina = gna * (v - ena)
    ik = gk * (v - ek)
}

INITIAL {
    rates(v)
    m = minf
    h = hinf
    n = ninf
}

DERIVATIVE states {
    rates(v)
    m' = (minf - m) / mtau
    h' = (hinf - h) / htau
    n' = (ninf - n) / ntau
}

FUNCTION ratio(x, y) {
    : x / (1 - exp(-x / y)), continuous at x = 0
    if (fabs(x / y) < 1e-6) {
        ratio = y * (1 + x / y / 2)
    } else {
        ratio = x / (1 - exp(-x / y))
    }
}

PROCEDURE rates(v (mV)) {
    LOCAL am, bm, ah, bh, an, bn, phi
    UNITSOFF
    phi = q10 ^ ((celsius - temp_ref) / 10)
    am = 0.1 * ratio(v + 40, 10)
    bm = 4 * exp(-(v + 65) / 18)
    ah = 0.07 * exp(-(v + 65) / 20)
    bh = 1 / (1 + exp(-(v + 35) / 10))
    an = 0.01 * ratio(v + 55, 10)
    bn = 0.125 * exp(-(v + 65) / 80)
    minf = am / (am + bm)
    mtau = 1 / (phi * (am + bm))
    hinf = ah / (ah + bh)
    htau = 1 / (phi * (ah + bh))
    ninf = an / (an + bn)
    ntau = 1 / (phi * (an + bn))
    UNITSON
}
