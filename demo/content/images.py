"""The demo's illustrations, drawn with Pillow so the repository carries no binary files.

Each function draws one 1200x600 picture from a fixed seed, so every checkout makes the same image.
Shapes are given in 1200x600 coordinates but drawn at twice the size and scaled down, which
smooths their edges.
"""

import math
import random

from PIL import Image, ImageDraw

WIDTH, HEIGHT = 1200, 600
SCALE = 2

PAPER = (244, 238, 226)
PENCIL = (96, 96, 110)
WOOD, WOOD_DARK = (150, 104, 66), (112, 76, 48)
LEAF, STEM, CLAY = (96, 140, 88), (86, 120, 80), (190, 104, 72)
FEED_ORANGE = (238, 132, 52)
SPINES = [
    (47, 93, 98),  # teal
    (196, 144, 62),  # ochre
    (160, 70, 58),  # brick
    (110, 122, 74),  # olive
    (52, 68, 104),  # navy
    (196, 132, 128),  # dusty rose
    (222, 206, 170),  # parchment
    (84, 60, 84),  # plum
]


class Canvas:
    """An ImageDraw taking 1200x600 coordinates (and widths, radii) that draws at SCALE times the size."""

    def __init__(self, background):
        self.image = Image.new("RGB", (WIDTH * SCALE, HEIGHT * SCALE), background)
        self._draw = ImageDraw.Draw(self.image)

    def __getattr__(self, shape):
        method = getattr(self._draw, shape)

        def draw(xy, *args, **kwargs):
            for length in ("width", "radius"):
                if length in kwargs:
                    kwargs[length] *= SCALE
            flat = [n for point in xy for n in (point if isinstance(point, tuple) else (point,))]
            return method([n * SCALE for n in flat], *args, **kwargs)

        return draw

    def finish(self):
        return self.image.resize((WIDTH, HEIGHT), Image.Resampling.LANCZOS)


def bookshelf():
    """Two wooden shelves of books in muted colours, a few leaning, with a plant at the end of each."""
    rng = random.Random(1729)
    canvas = Canvas(PAPER)
    for shelf in (290, 560):
        canvas.rectangle([60, shelf, 1140, shelf + 18], fill=WOOD)
        canvas.rectangle([60, shelf + 18, 1140, shelf + 24], fill=WOOD_DARK)
        x = 90
        while x < 1000:
            width, height, colour = rng.randint(22, 46), rng.randint(150, 235), rng.choice(SPINES)
            if x > 150 and rng.random() < 0.08:
                # A leaning book pivots on its lower right corner and rests on its right-hand neighbour.
                angle = math.radians(rng.randint(12, 20))
                pivot = x + width * math.cos(angle)
                corners = [(0, 0), (-width, 0), (-width, -height), (0, -height)]
                canvas.polygon(
                    [(pivot + dx * math.cos(angle) - dy * math.sin(angle),
                      shelf + dx * math.sin(angle) + dy * math.cos(angle)) for dx, dy in corners],
                    fill=colour,
                )  # fmt: skip
                x = int(pivot + height * math.sin(angle)) + 1
                continue
            top = shelf - height
            band = tuple(min(255, c + 45) for c in colour)
            canvas.rounded_rectangle([x, top, x + width, shelf], radius=3, fill=colour)
            for offset in (18, 30) if rng.random() < 0.6 else (22,):
                canvas.rectangle([x + 4, top + offset, x + width - 4, top + offset + 4], fill=band)
            canvas.rectangle([x + 6, shelf - 40, x + width - 6, shelf - 34], fill=band)
            x += width + rng.randint(1, 4)
        pot = 1050
        canvas.polygon([(pot, shelf - 60), (pot + 60, shelf - 60), (pot + 50, shelf), (pot + 10, shelf)], fill=CLAY)
        for leaf in range(7):
            angle = math.radians(-150 + leaf * 20)
            tip = (pot + 30 + math.cos(angle) * 55, shelf - 60 + math.sin(angle) * 70)
            canvas.line([(pot + 30, shelf - 60), tip], fill=STEM, width=5)
            canvas.ellipse([tip[0] - 12, tip[1] - 7, tip[0] + 12, tip[1] + 7], fill=LEAF)
    return canvas.finish()


def feed_tiles():
    """Truchet tiles of quarter circles in feed-icon orange on deep blue, with a feed icon in the middle."""
    rng = random.Random(2005)
    canvas = Canvas((28, 38, 58))
    tile = 75
    for top in range(0, HEIGHT, tile):
        for left in range(0, WIDTH, tile):
            colour = rng.choice([FEED_ORANGE, (246, 178, 96), (214, 96, 44)])
            if rng.random() < 0.5:
                arcs = [((left, top), 0, 90), ((left + tile, top + tile), 180, 270)]
            else:
                arcs = [((left + tile, top), 90, 180), ((left, top + tile), 270, 360)]
            for (cx, cy), start, end in arcs:
                r = tile / 2
                canvas.arc([cx - r, cy - r, cx + r, cy + r], start, end, fill=colour, width=9)
    cx, cy, half = WIDTH / 2, HEIGHT / 2, 110
    canvas.rounded_rectangle([cx - half, cy - half, cx + half, cy + half], radius=40, fill=FEED_ORANGE)
    ox, oy = cx - half + 55, cy + half - 55
    canvas.ellipse([ox - 24, oy - 24, ox + 24, oy + 24], fill=PAPER)
    for r in (95, 150):
        canvas.arc([ox - r, oy - r, ox + r, oy + r], 270, 360, fill=PAPER, width=32)
    return canvas.finish()


def annotated_page():
    """An open book with lines of text as grey bars, underlines in red and pencil notes in the margins."""
    rng = random.Random(1450)
    canvas = Canvas((214, 222, 214))
    canvas.rounded_rectangle([110, 62, 1090, 552], radius=10, fill=(150, 130, 104))
    for left, right, text_left, text_right in ((120, 590, 160, 460), (610, 1080, 740, 1040)):
        canvas.rectangle([left, 70, right, 540], fill=(250, 246, 236))
        for y in range(120, 500, 22):
            end = text_right - (rng.randint(40, 200) if rng.random() < 0.15 else rng.randint(0, 12))
            canvas.rounded_rectangle([text_left, y, end, y + 7], radius=3, fill=(170, 170, 164))
    canvas.line([(600, 70), (600, 540)], fill=(200, 190, 172), width=4)
    for y in (176, 198, 352):
        canvas.line([(160, y), (430, y)], fill=(196, 88, 70), width=3)
    canvas.line([(472, 250), (482, 250), (482, 330), (472, 330)], fill=PENCIL, width=3)
    for row, y in enumerate(range(236, 340, 20)):
        scribble = [(500 + 5 * step, y + rng.uniform(-4, 4)) for step in range(14 - row % 3 * 3)]
        canvas.line(scribble, fill=PENCIL, width=2, joint="curve")
    star = []
    for point in range(10):
        angle, reach = math.radians(90 + point * 36), 18 if point % 2 == 0 else 8
        star.append((660 + reach * math.cos(angle), 200 - reach * math.sin(angle)))
    canvas.polygon(star, outline=PENCIL, width=2)
    canvas.line([(665, 380), (665, 420)], fill=PENCIL, width=4)
    canvas.ellipse([661, 430, 669, 438], fill=PENCIL)
    return canvas.finish()


ILLUSTRATIONS = {"bookshelf.png": bookshelf, "feed-tiles.png": feed_tiles, "annotated-page.png": annotated_page}
