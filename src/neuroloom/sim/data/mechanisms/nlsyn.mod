: neuroloom: conductance synapse with a double-exponential time course.
: A spike of weight w (uS) opens a conductance that rises with tau_rise and
: decays with tau_decay and peaks at exactly w. Reversal potential e (mV).

NEURON {
    POINT_PROCESS NlSyn
    RANGE tau_rise, tau_decay, e, i, g
    NONSPECIFIC_CURRENT i
}

UNITS {
    (nA) = (nanoamp)
    (mV) = (millivolt)
    (uS) = (microsiemens)
}

PARAMETER {
    tau_rise = 0.2 (ms) <1e-9, 1e9>
    tau_decay = 2.0 (ms) <1e-9, 1e9>
    e = 0 (mV)
}

ASSIGNED {
    v (mV)
    i (nA)
    g (uS)
    peak_scale
}

STATE {
    rise (uS)
    decay (uS)
}

INITIAL {
    LOCAL t_peak, tr, td
    tr = tau_rise
    td = tau_decay
    if (tr / td > 0.9999) {
        tr = 0.9999 * td
    }
    t_peak = (tr * td) / (td - tr) * log(td / tr)
    peak_scale = 1 / (exp(-t_peak / td) - exp(-t_peak / tr))
    rise = 0
    decay = 0
}

BREAKPOINT {
    SOLVE kinetics METHOD cnexp
    g = decay - rise
    i = g * (v - e)
}

DERIVATIVE kinetics {
    LOCAL tr
    tr = tau_rise
    if (tr / tau_decay > 0.9999) {
        tr = 0.9999 * tau_decay
    }
    rise' = -rise / tr
    decay' = -decay / tau_decay
}

NET_RECEIVE(weight (uS)) {
    rise = rise + weight * peak_scale
    decay = decay + weight * peak_scale
}
