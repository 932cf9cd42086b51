"""Procedural driving scenes rendered by a vectorised numpy ray caster.

World frame of a drive: the first left camera (x right, y down, z forward,
metres). The road is the plane ``y = cam_height``; its centreline starts
``lane_offset`` metres left of the first camera and has constant curvature
``kappa`` (0 = straight). Road coordinates are ``s`` (arc length along the
centreline) and ``d`` (signed lateral offset, positive to the right).

Every camera stays level (no roll or pitch) and every surface is either
horizontal (road, pavement, box tops) or vertical (kerb faces, building
rows, box sides). A ray ``origin + t·(dx[col], dy[row], dz[col])`` therefore
meets vertical surfaces at a ``t`` that depends only on its column and
horizontal planes at a ``t`` that depends only on its row, which makes the
caster a few broadcast operations per surface. For pinhole rays
``(dx, dz)`` is the rotated ``K⁻¹·(x, y, 1)`` and ``dy = (y − cy) / fy``, so
``t`` is the camera depth z; for LiDAR rays ``(dx, dz)`` is a horizontal
unit vector and ``t`` the horizontal range.

Textures are value noise read from one tileable 4-channel table at two
scales (8 octaves, 0.1 m to 12.8 m features) at surface coordinates
anchored to the world, with octaves faded out below the pixel footprint
(no aliasing flicker between frames); lane markings, pavement joints and
windows are box-filtered pulse trains.
"""
from typing import Dict, Optional, Sequence, Tuple

import cv2
import numpy as np

from depthseg.datasets.kitti import KITTI_K

SKY, ROAD, PAVEMENT, KERB, WALL, OBJECT = range(6)
ROAD_LABEL = 100
MAX_CARS_LABELLED = 99  # FUMET: car labels 1..99 < road label 100


_TABLE = 512  # noise table side (texels)
_TEXELS_PER_M = 40.0  # fine lookup; the coarse one uses 1/16 of it
_FEATURES = np.array([0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4, 12.8], np.float32)
_NEAR = 0.1

# noise spectra (amplitude per octave) and the materials' (fine, coarse)
# amplitudes (relative luminance)
_FINE = np.array([1, 1, .85, .6, .4, .25, .15, .1], np.float32)
_COARSE = np.array([.15, .2, .3, .45, .6, .6, .5, .35], np.float32)
_SPECTRA = np.stack([_FINE, _COARSE], 1)  # (8, 2)
_AMP = dict(asphalt=(.09, .07), paving=(.05, .08), stone=(.05, .04),
            facade=(.02, .1), foliage=(.2, .06), bark=(.14, 0),
            car=(.01, .04), flat=(.02, .02))
_FACADES = [(.72, .66, .55), (.62, .6, .58), (.58, .36, .28), (.85, .83, .78),
            (.7, .72, .62), (.55, .5, .46), (.78, .7, .6), (.45, .47, .5)]
_CARS = [(.85, .85, .84), (.6, .62, .64), (.12, .12, .13), (.35, .36, .38),
         (.55, .08, .07), (.1, .2, .45), (.16, .28, .18), (.7, .62, .45),
         (.25, .3, .4), (.8, .45, .1)]
_SKY_ZENITH = np.array([.32, .5, .82], np.float32)
_HORIZON = np.array([.78, .83, .88], np.float32)


def _noise_table(rng: np.random.Generator) -> np.ndarray:
    """Tileable value-noise table, float32 ``_TABLE``² × 4, unit std.

    Channel k holds white noise low-passed (Gaussian in the Fourier domain)
    to features of 4·2^k texels.
    """
    n = _TABLE
    white = rng.standard_normal((4, n, n))
    f = np.fft.fftfreq(n)
    r2 = f[:, None]**2 + f[None, :]**2
    chans = []
    for k in range(4):
        sigma = (4 * 2**k) / 4.0  # spatial sigma in texels
        gain = np.exp(-2 * np.pi**2 * sigma**2 * r2)
        c = np.fft.ifft2(np.fft.fft2(white[k]) * gain).real
        chans.append((c - c.mean()) / c.std())
    return np.ascontiguousarray(np.stack(chans, -1), dtype=np.float32)


def _pulse_integral(x, period, start, width):
    """∫₀ˣ of a pulse train (1 on [start, start+width) mod period)."""
    q = np.floor((x - start) / period)
    return q * width + np.clip(x - start - q * period, 0, width)


def _pulse_cov(x, period, start, width, fp):
    """Pulse train box-filtered over a footprint ``fp`` (same units)."""
    fp = np.maximum(fp, 1e-3)
    return (_pulse_integral(x + fp / 2, period, start, width) -
            _pulse_integral(x - fp / 2, period, start, width)) / fp


def _line_cov(x, half_width, fp):
    """Coverage of the band ``|x| < half_width`` over a footprint ``fp``."""
    fp = np.maximum(fp, 1e-3)
    cov = np.clip((half_width - np.abs(x)) / fp + 0.5, 0, 1)
    return np.minimum(cov, 2 * half_width / fp)


class _Buffers:
    """Per-ray hit attributes (H×W); ``shade=False`` keeps only geometry."""

    def __init__(self, h: int, w: int, shade: bool):
        self.shade = shade
        self.t = np.full((h, w), np.inf, np.float32)
        self.kind = np.zeros((h, w), np.uint8)
        self.pal = np.zeros((h, w), np.int32)
        self.inst = np.full((h, w), -1, np.int16)
        if shade:
            z = np.zeros((h, w), np.float32)
            self.u, self.v, self.fpu, self.fpv, self.light, self.cov = (
                z.copy() for _ in range(6))
            self.pal2 = np.zeros((h, w), np.int32)

    def put(self, rows, cols, mask, t, kind, pal, inst=-1, u=0, v=0, fpu=1,
            fpv=1, light=1, cov=0, pal2=0):
        """Write the attributes of ``mask`` (within ``[rows, cols]``)."""
        def w(buf, val):
            np.copyto(buf[rows, cols], val, where=mask, casting='unsafe')

        w(self.t, t)
        w(self.kind, kind)
        w(self.pal, pal)
        w(self.inst, inst)
        if self.shade:
            for buf, val in ((self.u, u), (self.v, v), (self.fpu, fpu),
                             (self.fpv, fpv), (self.light, light),
                             (self.cov, cov), (self.pal2, pal2)):
                w(buf, val)


class SynthRoadScene:
    """One procedurally generated drive (scene, trajectory, cameras, LiDAR).

    Args:
        seed: base seed; the drive's content is drawn from
            ``np.random.SeedSequence([seed, drive])``.
        drive: drive index.
        num_frames: frames of the drive (sets the scene length).
        size: image (H, W).
        K: 3×3 (or 4×4) intrinsics normalised by (W, H); default the KITTI
            average (principal point at (W/2, H/2), pixel centres at
            integer coordinates, as the dataset's K).
        cam_height: camera height above the road (m).
        baseline: stereo baseline (m); camera 3 sits at +baseline along the
            camera x axis of camera 2.
        fps: frame rate (Hz).
        far: maximum rendered depth (m); farther rays show sky.
        noise_table: shared value-noise table (from ``_noise_table``);
            drawn from ``seed`` when None.
    """

    def __init__(self, seed: int = 0, drive: int = 0, num_frames: int = 60,
                 size: Tuple[int, int] = (192, 640),
                 K: Optional[np.ndarray] = None, cam_height: float = 1.65,
                 baseline: float = 0.54, fps: float = 10.0,
                 far: float = 200.0,
                 noise_table: Optional[np.ndarray] = None):
        self.size = (int(size[0]), int(size[1]))
        self.num_frames = int(num_frames)
        self.cam_height = float(cam_height)
        self.baseline = float(baseline)
        self.fps = float(fps)
        self.far = float(far)
        h, w = self.size
        k = KITTI_K if K is None else K
        self.K_norm = np.array(k, np.float64)[:3, :3]
        self.K = self.K_norm * np.array([[w], [h], [1]])  # pixels, 3×3
        fx, fy = self.K[0, 0], self.K[1, 1]
        self._pix_angle = 1.0 / fx
        inv = np.linalg.inv(self.K)
        self._ray_x = (inv[0, 0] * np.arange(w) + inv[0, 2]).astype(np.float64)
        self._ray_y = (inv[1, 1] * np.arange(h) + inv[1, 2]).astype(np.float64)
        self._fy = fy
        self.table = (_noise_table(np.random.default_rng(seed))
                      if noise_table is None else noise_table)
        self._build(np.random.default_rng(np.random.SeedSequence([seed,
                                                                   drive])))

    # ------------------------------------------------------------------
    # scene description
    # ------------------------------------------------------------------
    def _build(self, rng: np.random.Generator):
        """Draw road, trajectory, buildings, trees and cars of the drive."""
        self.kappa = 0.0 if rng.random() < 0.4 else float(
            rng.choice([-1, 1]) / rng.uniform(250, 900))
        self.half_road = float(rng.uniform(5.0, 6.8))
        lane = self.half_road - 2.2  # driving lane width (parking strips)
        self.lane_offset = lane / 2  # camera d (centre of the right lane)
        self.kerb_height = 0.12
        pave = float(rng.uniform(2.2, 4.5))
        self.speed = float(rng.uniform(6.0, 12.0))
        self.accel = float(rng.uniform(-0.4, 0.4))
        dur = self.num_frames / self.fps
        s_end = self.cam_s(self.num_frames - 1)
        lo, hi = -60.0, s_end + self.far + 60.0
        self._gain = (rng.uniform(0, 2 * np.pi, 2), rng.uniform(30, 80),
                      rng.uniform(10, 25), float(rng.uniform(-.02, .02)))
        sun = np.array([rng.uniform(-.6, .6), -rng.uniform(.5, .9),
                        rng.uniform(-.6, .6)])
        self._sun = sun / np.linalg.norm(sun)

        # palette: rgb, octave amplitudes, LiDAR reflectance, window params
        rgb, amp, refl, win = [], [], [], []

        def pal(colour, material, reflect, window=(1, 0, 1, 0, 0)):
            rgb.append(colour)
            amp.append(_AMP[material])
            refl.append(reflect)
            win.append(window)
            return len(rgb) - 1

        tint = rng.uniform(-.04, .04)
        self.P_ROAD = pal((.34 + tint, .34 + tint, .35 + tint), 'asphalt',
                          .15)
        self.P_PAVE = pal((.56, .54, .5), 'paving', .3)
        self.P_KERB = pal((.66, .65, .62), 'stone', .35)
        self.P_PAINT = pal((.92, .92, .88), 'flat', .8)
        self.P_JOINT = pal((.38, .37, .35), 'flat', .25)
        self.P_GLASS = pal((.1, .13, .18), 'flat', .05)
        self.P_TYRE = pal((.05, .05, .05), 'flat', .05)
        self.P_TRUNK = pal((.3, .22, .14), 'bark', .2)

        # building rows: (side, lateral offset, s-boundaries, heights, pals)
        self.walls = []
        for side in (-1, 1):
            # set back from the pavement, so the street is no long canyon
            d_front = self.half_road + pave + rng.uniform(0, 6)
            for row, d_w in enumerate((d_front,
                                       d_front + rng.uniform(12, 30))):
                bounds, heights, pals = [lo], [], []
                while bounds[-1] < hi:
                    bounds.append(bounds[-1] + rng.uniform(6, 30))
                    if row == 0 and rng.random() < 0.35:  # open lot
                        heights.append(0.0)
                        pals.append(self.P_TRUNK)  # never drawn
                        continue
                    if row == 0 and rng.random() < 0.3:  # hedge or wall
                        heights.append(rng.uniform(1.0, 2.5))
                        green = rng.random() < 0.7
                        pals.append(pal(
                            (.17, .33, .12) if green else (.5, .48, .45),
                            'foliage' if green else 'stone', .3))
                        continue
                    h = rng.uniform(5, 16) if row == 0 else rng.uniform(8, 24)
                    colour = np.array(_FACADES[rng.integers(len(_FACADES))])
                    floor = rng.uniform(2.8, 3.6)
                    period = rng.uniform(2.2, 4.0)
                    heights.append(h)
                    pals.append(pal(
                        tuple(np.clip(colour * rng.uniform(.85, 1.1), 0, 1)),
                        'facade', .4,
                        (period, period * rng.uniform(.35, .6), floor,
                         floor * rng.uniform(.4, .55), h)))
                self.walls.append((side, side * d_w, np.array(bounds),
                                   np.array(heights), np.array(pals)))

        # static boxes: trees and parked cars; moving cars separately
        boxes, cars = [], []
        for side in (-1, 1):
            if rng.random() < 0.6:
                s = lo + rng.uniform(0, 10)
                while s < hi:
                    crown = pal((rng.uniform(.12, .25), rng.uniform(.28, .42),
                                 rng.uniform(.08, .16)), 'foliage', .3)
                    d = side * (self.half_road + rng.uniform(.6, 1.0))
                    c0 = rng.uniform(2.2, 3.0)
                    boxes.append((s, d, 0.15, 0.15, c0, 0, self.P_TRUNK, -1))
                    hc = rng.uniform(1.2, 2.0)
                    boxes.append((s, d, hc, hc, c0 + rng.uniform(2.5, 4.5),
                                  c0, crown, -1))
                    s += rng.uniform(8, 25)
            s = lo + rng.uniform(0, 8)
            density = rng.uniform(0.3, 0.9)
            while s < hi:
                dims = self._car_dims(rng)
                if rng.random() < density:
                    cars.append(dict(s=s + dims[1] / 2, d=side * (
                        self.half_road - 1.1), v=0.0, dims=dims))
                s += dims[1] + rng.uniform(0.8, 10)
        # oncoming traffic (left lane, one speed: no overtaking) and a lead
        # car (own lane) ahead, moving with the camera plus a drift
        s, v = rng.uniform(20, 60), -rng.uniform(8, 14)
        while s < hi - v * dur:
            cars.append(dict(s=s, d=-self.lane_offset, v=v,
                             dims=self._car_dims(rng)))
            s += rng.uniform(30, 90)
        if rng.random() < 0.5:
            cars.append(dict(s=rng.uniform(14, 40), d=self.lane_offset,
                             v=rng.uniform(0, 2), lead=True,
                             dims=self._car_dims(rng)))
        for car in cars:
            colour = np.array(_CARS[rng.integers(len(_CARS))]) * rng.uniform(
                .9, 1.05)
            car['pal'] = pal(tuple(np.clip(colour, 0, 1)), 'car', .5)
        self.cars = cars
        self.car_heights = np.array([c['dims'][0] for c in self.cars],
                                    np.float32)
        self._static = np.array(boxes, np.float64).reshape(-1, 8)

        self.pal_rgb = np.array(rgb, np.float32)
        self.pal_amp = np.array(amp, np.float32)
        self.pal_refl = np.array(refl, np.float32)
        self.pal_win = np.array(win, np.float32)

    @staticmethod
    def _car_dims(rng):
        """(height, length, width, body height) of a car (m); taller cars
        (vans, SUVs) are longer."""
        h = rng.uniform(1.4, 1.9)
        length = 3.9 + (h - 1.4) * 1.6 + rng.uniform(-.3, .5)
        return (float(h), float(length), float(rng.uniform(1.7, 1.95)),
                float(h * rng.uniform(.5, .58)))

    # ------------------------------------------------------------------
    # road geometry
    # ------------------------------------------------------------------
    def cam_s(self, frame: float) -> float:
        """Arc length of camera 2 at ``frame`` (constant acceleration)."""
        tau = frame / self.fps
        return self.speed * tau + 0.5 * self.accel * tau * tau

    def road_to_world(self, s, d):
        """Road (s, d) -> world (x, z) and heading (rad, 0 = +z)."""
        s, d = np.asarray(s, np.float64), np.asarray(d, np.float64)
        theta = self.kappa * s
        if self.kappa == 0:
            cx, cz = -self.lane_offset + 0 * s, s
        else:
            cx = -self.lane_offset + (1 - np.cos(theta)) / self.kappa
            cz = np.sin(theta) / self.kappa
        return cx + d * np.cos(theta), cz - d * np.sin(theta), theta

    def _centre(self) -> Tuple[float, float]:
        """Centre of the curvature circle (world x, z)."""
        return -self.lane_offset + 1 / self.kappa, 0.0

    def _road_sd(self, px, pz):
        """Road (s, d) of points given relative to the curvature centre
        (curved road) or to (−lane_offset, 0) (straight road)."""
        if self.kappa == 0:
            return pz, px
        k = np.float32(self.kappa) if px.dtype == np.float32 else self.kappa
        r = np.sqrt(px * px + pz * pz)
        d = 1 / k - np.sign(k) * r
        s = np.arctan2(k * pz, -k * px) / k
        return s, d

    def _origin_rel(self, o) -> Tuple[float, float]:
        """World (x, z) of ``o`` relative to the road reference point."""
        if self.kappa == 0:
            return o[0] + self.lane_offset, o[2]
        cx, cz = self._centre()
        return o[0] - cx, o[2] - cz

    def _wall_hits(self, o, dx, dz, d_w):
        """Per-column hits of the vertical surface at lateral offset ``d_w``.

        Returns a list of up to two layers ``(t, s)`` (float64 (W,), inf
        where missed): the nearest positive hit and, for circles, the exit
        hit behind it.
        """
        ox, oz = self._origin_rel(o)
        with np.errstate(divide='ignore', invalid='ignore'):
            if self.kappa == 0:
                t = (d_w - ox) / dx
                t = np.where(t > _NEAR, t, np.inf)
                layers = [t]
            else:
                rho = abs(1 / self.kappa - d_w)
                a = dx * dx + dz * dz
                b = dx * ox + dz * oz
                r_o = np.hypot(ox, oz)
                disc = b * b - a * (r_o - rho) * (r_o + rho)
                sq = np.sqrt(np.where(disc >= 0, disc, np.nan))
                t1, t2 = (-b - sq) / a, (-b + sq) / a
                first = np.where(t1 > _NEAR, t1, np.where(t2 > _NEAR, t2,
                                                            np.inf))
                second = np.where(t1 > _NEAR, t2, np.inf)
                layers = [np.where(np.isnan(first), np.inf, first),
                          np.where(np.isnan(second), np.inf, second)]
        out = []
        for t in layers:
            tt = np.where(np.isfinite(t), t, 0)
            s, _ = self._road_sd(ox + tt * dx, oz + tt * dz)
            out.append((t, s))
        return out

    # ------------------------------------------------------------------
    # poses and boxes
    # ------------------------------------------------------------------
    def pose(self, frame: int, cam: int = 2) -> np.ndarray:
        """Camera-to-world 4×4 (float64) of camera 2 or 3 at ``frame``."""
        x, z, theta = self.road_to_world(self.cam_s(frame), self.lane_offset)
        c, s = np.cos(theta), np.sin(theta)
        T = np.eye(4)
        T[:3, :3] = [[c, 0, s], [0, 1, 0], [-s, 0, c]]
        T[:3, 3] = [x, 0, z]
        if cam == 3:
            T[:3, 3] += self.baseline * T[:3, 0]
        elif cam != 2:
            raise ValueError(f'cam must be 2 or 3, got {cam!r}')
        return T

    def _boxes(self, frame: int) -> np.ndarray:
        """All boxes at ``frame`` as rows (x, z, heading, half length,
        half width, top y, bottom y, pal, inst, car part) in world units;
        car part: 0 not a car, 1 body, 2 cabin."""
        g = self.cam_height
        tau = frame / self.fps
        st = self._static
        rows = []
        if len(st):
            x, z, th = self.road_to_world(st[:, 0], st[:, 1])
            rows.append(np.stack([x, z, th, st[:, 2], st[:, 3], g - st[:, 4],
                                  g - st[:, 5], st[:, 6], st[:, 7],
                                  0 * x], 1))
        if self.cars:
            cs = np.array([c['s'] + c['v'] * tau + (self.cam_s(frame)
                                                    if c.get('lead') else 0)
                           for c in self.cars])
            cd = np.array([c['d'] for c in self.cars])
            dims = np.array([c['dims'] for c in self.cars])
            h, length, width, hb = dims.T
            idx = np.arange(len(self.cars), dtype=np.float64)
            palc = np.array([c['pal'] for c in self.cars], np.float64)
            x, z, th = self.road_to_world(cs, cd)
            rows.append(np.stack([x, z, th, length / 2, width / 2,
                                  g - hb, g + 0 * x, palc, idx,
                                  1 + 0 * x], 1))
            # cabin: shorter, narrower, shifted back by 8% of the length
            back = -0.08 * length
            x2 = x + back * np.sin(th)
            z2 = z + back * np.cos(th)
            rows.append(np.stack([x2, z2, th, length * .27, width / 2 - .08,
                                  g - h, g - hb, palc, idx, 2 + 0 * x], 1))
        return np.concatenate(rows, 0) if rows else np.zeros((0, 10))

    # ------------------------------------------------------------------
    # ray casting
    # ------------------------------------------------------------------
    def _cast(self, o, dx, dz, dy, frame: int, shade: bool,
              t_max: float) -> _Buffers:
        """Cast rays ``o + t·(dx[col], dy[row], dz[col])`` (world).

        Args:
            o: world origin (3,); dx, dz: (W,) float64; dy: (H,) float64,
                increasing (rows from top to bottom).
            shade: also record texture coordinates, footprints, lighting.
            t_max: rays with ``t >= t_max`` count as misses.
        """
        H, W = len(dy), len(dx)
        buf = _Buffers(H, W, shade)
        yg = self.cam_height - o[1]  # road plane below the origin
        yp = yg - self.kerb_height  # pavement plane
        pix = self._pix_angle
        dy32 = dy.astype(np.float32)
        ox, oz = self._origin_rel(o)

        # ---- road, pavement and kerb faces ----
        r0 = int(np.searchsorted(dy, 1e-9, side='right'))
        if r0 < H:
            g = slice(r0, H)
            tr = (yg / dy[g]).astype(np.float32)[:, None]
            tp = (yp / dy[g]).astype(np.float32)[:, None]
            dx32, dz32 = dx.astype(np.float32), dz.astype(np.float32)
            ox32, oz32 = np.float32(ox), np.float32(oz)
            px, pz = ox32 + tr * dx32, oz32 + tr * dz32
            _, d_r = self._road_sd(px, pz)
            on_road = np.abs(d_r) <= self.half_road
            qx, qz = ox32 + tp * dx32, oz32 + tp * dz32
            _, d_p = self._road_sd(qx, qz)
            on_pave = ~on_road & (np.abs(d_p) >= self.half_road)
            t_g = np.where(on_road, tr, tp)
            s_g, d_g = self._road_sd(np.where(on_road, px, qx),
                                     np.where(on_road, pz, qz))
            ground = (on_road | on_pave) & (t_g < t_max)
            kind = np.where(on_road, ROAD, PAVEMENT).astype(np.uint8)
            palg = np.where(on_road, self.P_ROAD, self.P_PAVE)
            light = self._light(0, -1, 0)
            buf.put(g, slice(None), ground, t_g, kind, palg, u=s_g, v=d_g,
                    fpu=t_g * t_g / np.float32(self._fy * yg),
                    fpv=t_g * np.float32(pix), light=light)
            kerb = ~on_road & ~on_pave
            if kerb.any():
                rr, cc = np.nonzero(kerb)
                side = d_r[rr, cc] > 0
                t_k = np.empty(len(rr), np.float32)
                s_k = np.empty(len(rr), np.float32)
                for sd, sel in ((1, side), (-1, ~side)):
                    tk, sk = self._wall_hits(o, dx, dz,
                                             sd * self.half_road)[0]
                    t_k[sel], s_k[sel] = tk[cc[sel]], sk[cc[sel]]
                t_k = np.clip(t_k, tp[rr, 0], tr[rr, 0])
                m = np.zeros_like(kerb)
                m[rr, cc] = t_k < t_max
                full = np.zeros(kerb.shape, np.float32)
                full[rr, cc] = t_k
                su = np.zeros(kerb.shape, np.float32)
                su[rr, cc] = s_k
                theta = np.zeros(kerb.shape, np.float32)
                theta[rr, cc] = self.kappa * s_k
                sgn = np.sign(d_r)  # kerb face normal: −sign(d)·N(s)
                buf.put(g, slice(None), m, full, KERB, self.P_KERB, u=su,
                        v=yg - full * dy32[g, None], fpu=full * pix,
                        fpv=full * pix, light=self._light(
                            -sgn * np.cos(theta), 0, sgn * np.sin(theta)))

        # ---- building rows (vertical, per-column hits) ----
        for side, d_w, bounds, heights, pals in self.walls:
            for t_col, s_col in self._wall_hits(o, dx, dz, d_w):
                ok = t_col < t_max
                if not ok.any():
                    continue
                seg = np.clip(np.searchsorted(bounds, s_col) - 1, 0,
                              len(heights) - 1)
                top = yg - heights[seg]  # y (rel. origin) of the wall top
                tt = np.where(ok, t_col, np.nan)
                with np.errstate(invalid='ignore', divide='ignore'):
                    lo = np.nanmin(top / tt)  # smallest dy hitting a top
                    hi = np.nanmax(yg / tt)  # largest dy above the ground
                ra = int(np.searchsorted(dy, lo, side='left'))
                rb = int(np.searchsorted(dy, hi, side='right'))
                cols = np.flatnonzero(ok)
                c0, c1 = cols[0], cols[-1] + 1
                if rb <= ra:
                    continue
                rs, cs = slice(ra, rb), slice(c0, c1)
                t32 = t_col[cs].astype(np.float32)
                y = dy32[rs, None] * t32
                m = ok[cs] & (y >= top[cs].astype(np.float32)) & (
                    t32 < buf.t[rs, cs])
                theta = self.kappa * s_col[cs]
                # wall normal faces the road: −side·N(s), N = (cos, −sin)
                nx, nz = -side * np.cos(theta), side * np.sin(theta)
                fpu = np.abs(np.gradient(s_col[cs])) if c1 - c0 > 1 else (
                    t_col[cs] * pix)
                fpu = np.where(np.isfinite(fpu), fpu, 1e3).astype(np.float32)
                buf.put(rs, cs, m, t32, WALL, pals[seg[cs]],
                        u=s_col[cs].astype(np.float32) + 517.0 * side,
                        v=yg - y, fpu=fpu, fpv=t32 * np.float32(pix),
                        light=self._light(nx, 0, nz).astype(np.float32))

        # ---- boxes (trees, cars) ----
        self._cast_boxes(buf, o, dx, dz, dy, yg, frame, t_max)
        return buf

    def _light(self, nx, ny, nz):
        """Lambertian light of surfaces with world normal (nx, ny, nz)."""
        sx, sy, sz = self._sun
        return 0.58 + 0.42 * np.maximum(0, nx * sx + ny * sy + nz * sz)

    def _cast_boxes(self, buf, o, dx, dz, dy, yg, frame, t_max):
        """Slab-test every box (per column in its local (a, b) frame, per
        row in y), z-test the hit block of each visible box, then derive the
        attributes of all box pixels at once from the winning box index."""
        boxes = self._boxes(frame)
        # cull boxes out of range or behind every ray (fans of <= 180°)
        rel = boxes[:, :2] - [o[0], o[2]]
        radius = np.hypot(boxes[:, 3], boxes[:, 4])
        keep = np.hypot(rel[:, 0], rel[:, 1]) < t_max * 1.1 + radius
        mid = np.array([dx[len(dx) // 2], dz[len(dz) // 2]])
        mid /= np.hypot(*mid)
        if (dx * mid[0] + dz * mid[1]).min() >= 0:
            keep &= rel @ mid > -radius
        index = np.flatnonzero(keep)  # stable ids for texture offsets
        boxes = boxes[index]
        if not len(boxes):
            return
        bx, bz, th, hl, hw, ytop, ybot = boxes[:, :7].T
        sin, cos = np.sin(th)[:, None], np.cos(th)[:, None]
        rx, rz = (o[0] - bx)[:, None], (o[2] - bz)[:, None]
        oa, ob = rx * sin + rz * cos, rx * cos - rz * sin  # (N,1)
        da, db = dx * sin + dz * cos, dx * cos - dz * sin  # (N,W)
        with np.errstate(divide='ignore', invalid='ignore'):
            a1, a2 = (-hl[:, None] - oa) / da, (hl[:, None] - oa) / da
            b1, b2 = (-hw[:, None] - ob) / db, (hw[:, None] - ob) / db
            y1 = (ytop - o[1])[:, None] / dy
            y2 = (ybot - o[1])[:, None] / dy
        ta_en, tb_en = np.minimum(a1, a2), np.minimum(b1, b2)
        t_en = np.maximum(ta_en, tb_en).astype(np.float32)
        t_ex = np.minimum(np.maximum(a1, a2), np.maximum(b1, b2)).astype(
            np.float32)
        ty_en = np.fmin(y1, y2).astype(np.float32)  # (N,H); NaN loses
        ty_ex = np.fmax(y1, y2).astype(np.float32)
        hit = (t_ex > t_en) & (t_ex > _NEAR) & (t_en < t_max)
        bid = np.full(buf.t.shape, -1, np.int32)
        for i in np.flatnonzero(hit.any(1)):
            cols = np.flatnonzero(hit[i])
            cs = slice(cols[0], cols[-1] + 1)
            te, tx = t_en[i, cs], t_ex[i, cs]
            rows = np.flatnonzero((ty_en[i] < tx.max()) &
                                  (ty_ex[i] > te.min()))
            if not len(rows):
                continue
            rs = slice(rows[0], rows[-1] + 1)
            T_en = np.maximum(te, ty_en[i, rs, None])
            m = (T_en < np.minimum(tx, ty_ex[i, rs, None])) & (
                T_en > _NEAR) & (T_en < t_max) & (T_en < buf.t[rs, cs])
            np.copyto(buf.t[rs, cs], T_en, where=m)
            np.copyto(bid[rs, cs], i, where=m)

        flat = np.flatnonzero(bid >= 0)  # winning box per pixel
        if not len(flat):
            return
        b = bid.ravel()[flat]
        buf.kind.ravel()[flat] = OBJECT
        buf.pal.ravel()[flat] = boxes[b, 7]
        buf.inst.ravel()[flat] = boxes[b, 8]
        if not buf.shade:
            return
        H, W = buf.t.shape
        rr, cc = np.divmod(flat, W)
        kw, kh = b * W + cc, b * H + rr  # into the (N,W) / (N,H) arrays

        def per_col(a):
            return np.take(a.astype(np.float32, copy=False), kw)

        t = buf.t.ravel()[flat]
        y_face = np.take(ty_en, kh) > np.take(t_en, kw)  # top/bottom face
        af = (per_col(ta_en) > per_col(tb_en)) & ~y_face  # front/back face
        da_, db_ = per_col(da), per_col(db)
        pa = np.take(oa[:, 0].astype(np.float32), b) + t * da_
        pb = np.take(ob[:, 0].astype(np.float32), b) + t * db_
        hgt = yg - t * np.take(dy.astype(np.float32), rr)  # above the road
        buf.u.ravel()[flat] = np.where(af, pb, pa) + np.float32(37.1) * \
            index[b]
        buf.v.ravel()[flat] = np.where(y_face, pb, hgt)
        # normal of the entered face (world)
        sa, sb = -np.sign(da_), -np.sign(db_)
        sn, cn = sin[b, 0], cos[b, 0]
        side = ~y_face
        nx = np.where(af, sa * sn, sb * cn) * side
        nz = np.where(af, sa * cn, -sb * sn) * side
        ny = -np.sign(dy[rr]) * y_face
        buf.light.ravel()[flat] = self._light(nx, ny, nz)
        fp = t * np.float32(1.5 * self._pix_angle)
        buf.fpu.ravel()[flat] = fp
        buf.fpv.ravel()[flat] = fp
        part, half_l, half_w = boxes[b, 9], hl[b], hw[b]
        wheel_a = np.abs(np.abs(pa) - (half_l - .8))
        tyre = (part == 1) & side & ~af & (
            wheel_a**2 + (hgt - .33)**2 < .33**2)
        cab_lo = self.cam_height - ybot[b]
        cab_hi = self.cam_height - ytop[b]
        inner = np.where(af, np.abs(pb) < half_w - .1,
                         np.abs(pa) < half_l - .12)
        glass = (part == 2) & side & inner & (hgt > cab_lo + .06) & (
            hgt < cab_hi - .07)
        buf.cov.ravel()[flat] = tyre | glass
        buf.pal2.ravel()[flat] = np.where(tyre, self.P_TYRE, self.P_GLASS)

    # ------------------------------------------------------------------
    # shading and public API
    # ------------------------------------------------------------------
    def exposure(self, frame: int, cam: int = 2) -> float:
        """Mild, smooth exposure gain: within ±6 %, below 2 % change per
        frame; camera 3 differs by a constant of up to ±2 %."""
        phase, p1, p2, right = self._gain
        g = 0.04 * np.sin(2 * np.pi * frame / p1 + phase[0]) + \
            0.015 * np.sin(2 * np.pi * frame / p2 + phase[1])
        return float(np.exp(g + (right if cam == 3 else 0.0)))

    def _noise(self, buf: _Buffers) -> np.ndarray:
        """Anti-aliased multi-octave value noise (H×W float32).

        Octave k (feature size ``_FEATURES[k]``) fades out as the footprint
        grows from a quarter to half its feature size; the material mixes a
        fine-grained and a coarse spectrum with its own amplitudes.
        """
        inv = 0.5 / np.maximum(np.maximum(buf.fpu, buf.fpv), 1e-4)
        inv = inv[..., None]
        mix = 0
        for j, scale in enumerate((_TEXELS_PER_M, _TEXELS_PER_M / 16)):
            maps = []
            for c in (buf.u, buf.v):
                x = c * np.float32(scale)
                x -= np.floor(x * np.float32(1 / _TABLE)) * np.float32(_TABLE)
                maps.append(x)
            octaves = cv2.remap(self.table, maps[0], maps[1],
                                cv2.INTER_LINEAR, borderMode=cv2.BORDER_WRAP)
            k = slice(4 * j, 4 * j + 4)
            fade = inv * _FEATURES[k]
            fade -= 1
            octaves *= np.clip(fade, 0, 1, out=fade)
            mix = mix + octaves @ _SPECTRA[k]  # (H,W,2): fine, coarse
        amp = np.take(self.pal_amp, buf.pal, axis=0)
        return np.einsum('hwk,hwk->hw', amp, mix)

    def _patterns(self, buf: _Buffers):
        """Lane markings, pavement joints and windows into ``cov``/``pal2``."""
        kind = buf.kind.ravel()
        flat = [a.ravel() for a in (buf.u, buf.v, buf.fpu, buf.fpv)]
        cov, pal2 = buf.cov.ravel(), buf.pal2.ravel()

        i = np.flatnonzero(kind == ROAD)
        if len(i):
            s, d, fs, fd = (a[i] for a in flat)
            edge = self.half_road - 2.2
            centre = _line_cov(d, 0.06, fd) * _pulse_cov(s, 9.0, 0, 3.0, fs)
            edges = _line_cov(np.abs(d) - edge, 0.075, fd)
            cov[i] = np.maximum(centre, edges)
            pal2[i] = self.P_PAINT
        i = np.flatnonzero(kind == PAVEMENT)
        if len(i):
            s, d, fs, fd = (a[i] for a in flat)
            cov[i] = 1 - (1 - _pulse_cov(s, 0.6, 0, 0.03, fs)) * (
                1 - _pulse_cov(d, 0.6, 0, 0.03, fd))
            pal2[i] = self.P_JOINT
        i = np.flatnonzero(kind == WALL)
        if len(i):
            s, hgt, fs, fh = (a[i] for a in flat)
            period, width, floor, win_h, top = self.pal_win[
                buf.pal.ravel()[i]].T
            cov[i] = _pulse_cov(s, period, 0, width, fs) * _pulse_cov(
                hgt, floor, floor * .3, win_h, fh) * (hgt > 0.9) * (
                    hgt < top - 0.8)
            pal2[i] = self.P_GLASS

    def _shade(self, buf: _Buffers, frame: int, cam: int,
               dy: np.ndarray) -> np.ndarray:
        """Colour of every ray -> uint8 H×W×3 RGB.

        Albedo (with painted patterns) × (1 + noise) × light, blended with
        distance (Gaussian fog) into the sky colour of the pixel's
        elevation, times the frame's exposure gain.
        """
        self._patterns(buf)
        gain = np.float32(255 * self.exposure(frame, cam))
        fog = np.exp(np.float32(-2.5 / self.far**2) * buf.t * buf.t)
        col = np.take(self.pal_rgb, buf.pal, axis=0)
        paint = np.take(self.pal_rgb, buf.pal2, axis=0)
        paint -= col
        paint *= buf.cov[..., None]
        col += paint
        scale = self._noise(buf)
        scale += 1
        scale *= buf.light
        scale *= fog
        scale *= gain
        col *= scale[..., None]
        elev = np.clip(-dy.astype(np.float32) / 0.4, 0, 1)[:, None, None]
        sky = _HORIZON + elev * (_SKY_ZENITH - _HORIZON)  # (H,1,3)
        fog -= 1
        fog *= -gain
        col += fog[..., None] * sky
        return cv2.convertScaleAbs(col)

    def render(self, frame: int, cam: int = 2) -> Dict[str, np.ndarray]:
        """Render camera 2 (left) or 3 (right) at ``frame``.

        Returns:
            dict with ``image`` (uint8 H×W×3 RGB), ``depth`` (float32 H×W,
            camera z in metres, 0 for sky), ``labels`` (uint8 H×W in FUMET's
            format: 0 background, 1..n cars in ascending car-id order, 100
            road), ``heights`` (float32 (n,), car heights in metres, the
            k-th belongs to label k+1), ``car_ids`` (int64 (n,), scene car
            indices) and ``pose`` (float64 4×4 camera-to-world).
        """
        T = self.pose(frame, cam)
        R = T[:3, :3]
        dx = R[0, 0] * self._ray_x + R[0, 2]
        dz = R[2, 0] * self._ray_x + R[2, 2]
        buf = self._cast(T[:3, 3], dx, dz, self._ray_y, frame, True,
                         self.far)
        image = self._shade(buf, frame, cam, self._ray_y)
        valid = buf.kind != SKY
        depth = np.where(valid, buf.t, 0).astype(np.float32)
        labels, ids = self._labels(buf)
        return dict(image=image, depth=depth, labels=labels,
                    heights=self.car_heights[ids], car_ids=ids, pose=T)

    def _labels(self, buf: _Buffers) -> Tuple[np.ndarray, np.ndarray]:
        """FUMET label map and the scene ids of the labelled cars.

        At most 99 cars are labelled (the largest in pixels); the rest, like
        trees, buildings and sky, are background 0.
        """
        labels = np.where(buf.kind == ROAD, ROAD_LABEL, 0).astype(np.uint8)
        ids, counts = np.unique(buf.inst[buf.inst >= 0], return_counts=True)
        if len(ids) > MAX_CARS_LABELLED:
            ids = np.sort(ids[np.argsort(-counts,
                                         kind='stable')[:MAX_CARS_LABELLED]])
        lut = np.zeros(len(self.cars) + 1, np.uint8)  # index −1 -> 0
        lut[ids] = np.arange(1, len(ids) + 1)
        car = buf.inst >= 0
        labels[car] = lut[buf.inst[car]]
        return labels, ids.astype(np.int64)

    def lidar_scan(self, frame: int, velo_to_cam: np.ndarray,
                   rings: Sequence[float] = tuple(np.linspace(2.0, -24.8,
                                                              64)),
                   azimuths: int = 256, fov: float = 120.0,
                   max_range: float = 120.0) -> np.ndarray:
        """Velodyne-like scan of the true surfaces at ``frame``.

        The scanner sits at the velodyne origin given by ``velo_to_cam``
        (4×4, velodyne -> camera 2, KITTI ``calib_velo_to_cam``), level, with
        one ring per elevation in ``rings`` (degrees, descending) and
        ``azimuths`` rays over ``fov`` degrees centred on the camera axis.

        Returns:
            float32 N×4: x forward, y left, z up (velodyne frame, metres)
            and reflectance in [0, 1]; points within ``max_range``.
        """
        T = self.pose(frame, 2)
        R = T[:3, :3]
        o_cam = np.asarray(velo_to_cam, np.float64)[:3, 3]
        o = R @ o_cam + T[:3, 3]
        az = np.deg2rad(np.linspace(-fov / 2, fov / 2, azimuths))
        dx = R[0, 0] * np.sin(az) + R[0, 2] * np.cos(az)
        dz = R[2, 0] * np.sin(az) + R[2, 2] * np.cos(az)
        dy = -np.tan(np.deg2rad(np.sort(np.asarray(rings))[::-1]))
        buf = self._cast(o, dx, dz, dy, frame, False, max_range)
        rr, cc = np.nonzero(buf.kind != SKY)
        t = buf.t[rr, cc].astype(np.float64)
        keep = t * np.sqrt(1 + dy[rr]**2) <= max_range
        rr, cc, t = rr[keep], cc[keep], t[keep]
        world = o + t[:, None] * np.stack([dx[cc], dy[rr], dz[cc]], 1)
        cam = (world - T[:3, 3]) @ R  # world -> camera 2
        cam_to_velo = np.linalg.inv(np.asarray(velo_to_cam, np.float64))
        velo = cam @ cam_to_velo[:3, :3].T + cam_to_velo[:3, 3]
        refl = self.pal_refl[buf.pal[rr, cc]]
        return np.concatenate([velo, refl[:, None]], 1).astype(np.float32)
